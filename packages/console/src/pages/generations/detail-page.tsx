/** @jsxImportSource hono/jsx */
import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { StoredEvent } from '@genledger/core/ports/event-reader';
import type { GenerationRun } from '@genledger/core/ports/generations';
import { EmptyRow } from '../../ui/empty-row.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import { CancelForm } from './cancel.tsx';
import { isInlineImage, outputHref } from './output.ts';
import { RerunForm } from './rerun.tsx';

function RequestCard(props: { g: GenerationRecord; failedId: string | undefined }) {
  const { g, failedId } = props;
  const { prompt, negativePrompt, name, model, width, height, steps, guidance, seed } = g;
  return (
    <section class="card">
      <h2>Request</h2>
      <dl class="kv">
        <dt>id</dt>
        <dd>
          <code>{g.id}</code>
        </dd>
        <dt>created</dt>
        <dd>
          <Time at={g.createdAt} />
        </dd>
        <dt>finished</dt>
        <dd>
          <Time at={g.completedAt} />
        </dd>
        <dt>attempts</dt>
        <dd>{g.attempts}</dd>
        {g.errorMessage && (
          <>
            <dt>error</dt>
            <dd>{g.errorMessage}</dd>
          </>
        )}
        {failedId && (
          <>
            <dt>failed message</dt>
            <dd>
              <a href={`/console/failed/messages/${failedId}`}>{failedId.slice(0, 16)}…</a>
            </dd>
          </>
        )}
      </dl>
      <pre tabindex={0}>
        {JSON.stringify(
          { prompt, negativePrompt, name, model, width, height, steps, guidance, seed },
          null,
          2,
        )}
      </pre>
    </section>
  );
}

/** Every output the generation kept, read through the output store by the console's own route. */
function OutputCard(props: { g: GenerationRecord }) {
  const { g } = props;
  const alt = `output of generation: ${g.prompt.slice(0, 100)}`;
  return (
    <section class="card">
      <h2>{g.outputs.length > 1 ? `Outputs (${g.outputs.length})` : 'Output'}</h2>
      {g.outputs.length === 0 && (
        <p class="muted">{g.outputPath ? <code>{g.outputPath}</code> : 'No output yet.'}</p>
      )}
      {g.outputs.map((o, i) => {
        const href = outputHref(g.id, i);
        return (
          <figure class="output">
            {isInlineImage(o) && <img class="preview" src={href} alt={`${alt} (${i + 1})`} />}
            <figcaption class="small muted">
              <a href={href}>
                output {i + 1}: {o.contentType}
              </a>
              , {o.bytes.toLocaleString('en')} bytes, sha-256 <code>{o.sha256.slice(0, 12)}…</code>
            </figcaption>
          </figure>
        );
      })}
    </section>
  );
}

function RunJournal(props: { runs: GenerationRun[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th class="num">attempt</th>
            <th>status</th>
            <th>started</th>
            <th class="num">duration</th>
            <th class="num hide-narrow">receive count</th>
            <th>error</th>
          </tr>
        </thead>
        <tbody>
          {props.runs.map((r) => (
            <tr>
              <td class="num">{r.attempt}</td>
              <td>
                <Status s={r.status} />
              </td>
              <td>
                <Time at={r.startedAt} />
              </td>
              <td class="num">{r.durationMs === null ? '—' : `${r.durationMs} ms`}</td>
              <td class="num hide-narrow">{r.receiveCount ?? '—'}</td>
              <td>
                {r.errorType && (
                  <details>
                    <summary>
                      {r.errorType}: {r.errorMessage}
                    </summary>
                    <pre tabindex={0}>{r.errorStack ?? ''}</pre>
                  </details>
                )}
              </td>
            </tr>
          ))}
          {props.runs.length === 0 && <EmptyRow cols={6}>Not run yet.</EmptyRow>}
        </tbody>
      </table>
    </div>
  );
}

/** The generation's stream, oldest first, linked to its failed message and retry batches. */
function EventTimeline(props: { events: StoredEvent[]; failedId: string | undefined; admin: boolean }) {
  return (
    <ol class="timeline" aria-label="Events of this generation, oldest first">
      {props.events.map((e) => {
        const { type, ...rest } = e.event as { type: string } & Record<string, unknown>;
        const batch = typeof rest.retryBatchId === 'string' ? rest.retryBatchId : undefined;
        return (
          <li>
            <strong>{type}</strong> <span class="muted small">#{e.streamVersion} · </span>
            <Time at={e.storedAt} />
            {type === 'GenerationFailed' && props.failedId && (
              <>
                {' · '}
                <a href={`/console/failed/messages/${props.failedId}`}>failed message</a>
              </>
            )}
            {batch && props.admin && (
              <>
                {' · '}
                <a href={`/console/retries/${batch}`}>retry batch</a>
              </>
            )}
            <details>
              <summary class="small muted">payload</summary>
              <pre tabindex={0}>{JSON.stringify(rest, null, 2)}</pre>
            </details>
          </li>
        );
      })}
    </ol>
  );
}

/** One generation: its request, output, run journal and event timeline. */
export function GenerationPage(props: {
  g: GenerationRecord;
  runs: GenerationRun[];
  events: StoredEvent[];
  failedId: string | undefined;
  admin: boolean;
  ctx: PageContext;
}) {
  const { g } = props;
  return (
    <>
      <p class="small">
        <a href="/console/generations">← Generations</a>
      </p>
      <h1>
        {g.name || 'Generation'} <Status s={g.status} />
      </h1>
      <CancelForm ctx={props.ctx} g={g} />
      <RerunForm ctx={props.ctx} g={g} admin={props.admin} />
      <div class="grid2">
        <RequestCard g={g} failedId={props.failedId} />
        <OutputCard g={g} />
      </div>
      <h2>Run journal</h2>
      <RunJournal runs={props.runs} />
      <h2>Event timeline</h2>
      <EventTimeline events={props.events} failedId={props.failedId} admin={props.admin} />
    </>
  );
}
