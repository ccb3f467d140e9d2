/** @jsxImportSource hono/jsx */
import type { DeliveryDetail } from '@genledger/core/ports/webhook-console-reads';
import { Csrf } from '../../ui/csrf-field.tsx';
import { EmptyRow } from '../../ui/empty-row.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { milliseconds } from '../../ui/milliseconds.ts';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';

/** What each attempt sends: the body is rendered at send time (the resource as the API returns it then). */
function Request(props: { detail: DeliveryDetail }) {
  const { delivery: d, url } = props.detail;
  return (
    <section class="card">
      <h2>Request</h2>
      <pre tabindex={0}>
        {`POST ${url ?? '(the endpoint or webhook is gone)'}
webhook-id: ${d.id}
webhook-timestamp: <the attempt's time>
webhook-signature: v1,<Standard Webhooks signature per signing secret>
content-type: application/json

{"type": "${d.eventType}", "timestamp": "…", "data": ${d.generationId ? `<generation ${d.generationId}, as the API returns it>` : '{…}'}}`}
      </pre>
      {d.generationId && (
        <p class="small">
          <a href={`/console/generations/${d.generationId}`}>The generation</a>
        </p>
      )}
    </section>
  );
}

function Attempts(props: { detail: DeliveryDetail }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th class="num">#</th>
            <th>when</th>
            <th>outcome</th>
            <th class="num">status</th>
            <th class="num">latency</th>
            <th>response (first 1 KB) or error</th>
          </tr>
        </thead>
        <tbody>
          {props.detail.attempts.map((a) => (
            <tr data-attempt={a.attempt}>
              <td class="num">{a.attempt}</td>
              <td>
                <Time at={a.attemptedAt} />
              </td>
              <td>
                <Status s={a.status} />
              </td>
              <td class="num">{a.statusCode ?? '—'}</td>
              <td class="num">{milliseconds(a.latencyMs)}</td>
              <td>
                {a.error && <div>{a.error}</div>}
                {a.response ? (
                  <pre tabindex={0}>{a.response}</pre>
                ) : (
                  !a.error && <span class="muted">(empty)</span>
                )}
              </td>
            </tr>
          ))}
          {props.detail.attempts.length === 0 && <EmptyRow cols={6}>Not attempted yet.</EmptyRow>}
        </tbody>
      </table>
    </div>
  );
}

/** One delivery: where it goes, what it sends, every attempt and its answer; redeliver. */
export function DeliveryPage(props: { ctx: PageContext; detail: DeliveryDetail; canRedeliver: boolean }) {
  const { delivery: d } = props.detail;
  return (
    <>
      <p class="small">
        {d.endpointId ? (
          <a href={`/console/webhooks/endpoints/${d.endpointId}`}>← The endpoint</a>
        ) : (
          <a href="/console/webhooks">← Webhook endpoints</a>
        )}
      </p>
      <h1>
        {d.eventType} <Status s={d.status} />
      </h1>
      <form method="post" action={`/console/webhooks/deliveries/${d.id}/redeliver`} class="actions">
        <Csrf ctx={props.ctx} />
        <button type="submit" disabled={!props.canRedeliver}>
          Redeliver
        </button>
        <span class="small muted">Same webhook-id: a receiver that deduplicates sees it once.</span>
      </form>
      <dl class="kv card">
        <dt>delivery (webhook-id)</dt>
        <dd>
          <code>{d.id}</code>
        </dd>
        <dt>created</dt>
        <dd>
          <Time at={d.createdAt} />
        </dd>
        <dt>attempts</dt>
        <dd>{d.attempts}</dd>
        <dt>delivered</dt>
        <dd>{d.deliveredAt ? <Time at={d.deliveredAt} /> : '—'}</dd>
        <dt>next attempt</dt>
        <dd>{d.nextAttemptAt ? <Time at={d.nextAttemptAt} /> : '—'}</dd>
      </dl>
      <Request detail={props.detail} />
      <h2>Attempts ({props.detail.attempts.length})</h2>
      <Attempts detail={props.detail} />
    </>
  );
}
