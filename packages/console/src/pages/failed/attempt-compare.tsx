/** @jsxImportSource hono/jsx */
import { diffLines } from '../../ui/diff.ts';
import { Flash } from '../../ui/flash.tsx';
import { milliseconds } from '../../ui/milliseconds.ts';
import type { MessageDetail } from './message-detail.ts';

function StackDiff(props: { before: string; after: string }) {
  return (
    <pre tabindex={0}>
      {diffLines(props.before, props.after).map((l) =>
        l.kind === 'same' ? (
          `  ${l.text}\n`
        ) : l.kind === 'added' ? (
          <ins>{`+ ${l.text}\n`}</ins>
        ) : (
          <del>{`- ${l.text}\n`}</del>
        ),
      )}
    </pre>
  );
}

/** Attempt `index` (from 0) beside the one before it: changed fields marked, stacks diffed. */
export function AttemptCompare(props: { found: MessageDetail; index: number }) {
  const { detail, durations } = props.found;
  const { index } = props;
  const cur = detail.attempts[index]!;
  const prev = detail.attempts[index - 1];
  const fields: [string, string, string][] = prev
    ? [
        ['failed at', prev.failedAt, cur.failedAt],
        ['receive count', String(prev.receiveCount), String(cur.receiveCount)],
        ['duration', milliseconds(durations[index - 1]), milliseconds(durations[index])],
        ['error type', prev.errorType ?? '', cur.errorType ?? ''],
        ['error message', prev.errorMessage ?? '', cur.errorMessage ?? ''],
        ['queue', prev.queue, cur.queue],
      ]
    : [];
  return (
    <>
      <p class="small">
        <a href={`/console/failed/messages/${detail.id}`}>← Message</a>
      </p>
      <h1>
        Attempt {index + 1} beside attempt {index}
      </h1>
      {!prev ? (
        <Flash kind="error">The first attempt has nothing before it.</Flash>
      ) : (
        <>
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>field</th>
                  <th>attempt {index}</th>
                  <th>attempt {index + 1}</th>
                </tr>
              </thead>
              <tbody>
                {fields.map(([name, a, b]) => (
                  <tr class={a === b ? '' : 'diff-changed'} data-changed={a === b ? undefined : 'true'}>
                    <th scope="row">
                      {name}
                      {a === b ? '' : ' (changed)'}
                    </th>
                    <td>{a}</td>
                    <td>{b}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <h2>Stack</h2>
          <p class="small muted">Removed lines are marked −, added lines +.</p>
          <StackDiff before={prev.errorStack ?? ''} after={cur.errorStack ?? ''} />
        </>
      )}
    </>
  );
}
