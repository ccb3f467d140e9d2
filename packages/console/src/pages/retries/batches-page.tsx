/** @jsxImportSource hono/jsx */
import type { RetryBatch } from '@genledger/core/contracts/failed-messages';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { Live } from '../../ui/live.tsx';
import { Status } from '../../ui/status.tsx';
import { Time } from '../../ui/time.tsx';
import { selectorText } from './selector-text.ts';

/** The retry history: who asked for what, and how far each batch got. */
export function BatchesPage(props: {
  batches: RetryBatch[];
  names: Map<string, string>;
  groupTitles: Map<string, string>;
  /** This page's URL, which its live list polls. */
  here: string;
}) {
  const { names } = props;
  return (
    <>
      <h1>Retry batches</h1>
      <Live id="live-retries" url={props.here}>
        <table>
          <thead>
            <tr>
              <th>requested</th>
              <th>by</th>
              <th>what</th>
              <th>status</th>
              <th class="num">sent / total</th>
              <th class="num hide-narrow">skipped</th>
            </tr>
          </thead>
          <tbody>
            {props.batches.map((b) => (
              <tr data-row>
                <td>
                  <a href={`/console/retries/${b.id}`}>
                    <Time at={b.createdAt} />
                  </a>
                </td>
                <td>{b.requestedBy ? (names.get(b.requestedBy) ?? b.requestedBy) : '—'}</td>
                <td>{selectorText(b.selector, props.groupTitles)}</td>
                <td>
                  <Status s={b.status} />
                </td>
                <td class="num">
                  {b.sent} / {b.total}
                </td>
                <td class="num hide-narrow">{b.skipped}</td>
              </tr>
            ))}
            {props.batches.length === 0 && <EmptyRow cols={6}>No retries yet.</EmptyRow>}
          </tbody>
        </table>
      </Live>
    </>
  );
}
