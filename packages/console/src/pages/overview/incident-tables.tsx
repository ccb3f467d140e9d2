/** @jsxImportSource hono/jsx */
import type { FailureWindow, ModelLatency } from '@genledger/core/ports/console-read-model';
import { EmptyRow } from '../../ui/empty-row.tsx';
import { milliseconds } from '../../ui/milliseconds.ts';

/**
 * Failures in the last 15 minutes against the hour before (scaled to 15 minutes), amber past the
 * threshold (the setting `alerts.failuresPerMinute`), red when also rising.
 */
function heat(w: FailureWindow, perMinute: number) {
  const before = w.hourBefore / 4;
  if (w.last15 / 15 < perMinute) return '';
  return w.last15 > 2 * before ? 'state-Unhealthy' : 'state-Degraded';
}

export function FailureTable(props: {
  caption: string;
  what: string;
  rows: FailureWindow[];
  perMinute: number;
  link?: (w: FailureWindow) => string;
}) {
  return (
    <div class="table-wrap">
      <table data-testid={`failures-by-${props.what}`}>
        <caption class="small muted">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.what}</th>
            <th scope="col" class="num">
              last 15 min
            </th>
            <th scope="col" class="num">
              per 15 min, the hour before
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((w) => (
            <tr class={heat(w, props.perMinute)} data-key={w.key}>
              <td>{props.link ? <a href={props.link(w)}>{w.title}</a> : w.title}</td>
              <td class="num">{w.last15}</td>
              <td class="num">{(w.hourBefore / 4).toFixed(1)}</td>
            </tr>
          ))}
          {props.rows.length === 0 && <EmptyRow cols={3}>No failures in the last 75 minutes.</EmptyRow>}
        </tbody>
      </table>
    </div>
  );
}

/** p50 / p95 of queue wait and processing time per model over the last hour. */
export function LatencyTable(props: { rows: ModelLatency[] }) {
  return (
    <div class="table-wrap">
      <table data-testid="latency">
        <caption class="small muted">
          Attempts finished in the last hour. Queue wait: from the request to its first attempt's start.
        </caption>
        <thead>
          <tr>
            <th scope="col">model</th>
            <th scope="col" class="num">
              attempts
            </th>
            <th scope="col" class="num">
              queue wait p50 / p95
            </th>
            <th scope="col" class="num">
              processing p50 / p95
            </th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td>{r.model}</td>
              <td class="num">{r.attempts}</td>
              <td class="num">
                {milliseconds(r.waitP50Ms)} / {milliseconds(r.waitP95Ms)}
              </td>
              <td class="num">
                {milliseconds(r.processingP50Ms)} / {milliseconds(r.processingP95Ms)}
              </td>
            </tr>
          ))}
          {props.rows.length === 0 && <EmptyRow cols={4}>No attempts in the last hour.</EmptyRow>}
        </tbody>
      </table>
    </div>
  );
}
