/** @jsxImportSource hono/jsx */

/** Server-drawn SVG: no chart library, nothing to download, readable without JavaScript. */

export interface DayBar {
  day: string;
  /** Generations created that day, by their final status. */
  completed: number;
  failed: number;
  /** Attempts that finished that day, and how many failed. */
  attempts: number;
  failedAttempts: number;
}

const OK = '#2e9e4f';
const BAD = '#d9433b';

const percent = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 10 : 0);

/**
 * Per model and day: generations by final status (stacked bars; a generation that failed and then
 * succeeded on retry is one completed generation), and its attempts with their failure rate as a
 * separate, labelled figure: outcomes of attempts are not generations.
 */
export function ThroughputChart(props: { model: string; days: DayBar[] }) {
  const { days } = props;
  const w = 560;
  const h = 150;
  const padL = 34;
  const padB = 20;
  const top = 8;
  const max = Math.max(1, ...days.map((d) => d.completed + d.failed));
  const bw = (w - padL) / Math.max(1, days.length);
  const y = (v: number) => top + (h - top - padB) * (1 - v / max);
  const sum = (f: (d: DayBar) => number) => days.reduce((n, d) => n + f(d), 0);
  const completed = sum((d) => d.completed);
  const failed = sum((d) => d.failed);
  const attempts = sum((d) => d.attempts);
  const failedAttempts = sum((d) => d.failedAttempts);
  const label = `${props.model}: ${completed} generations completed and ${failed} failed over ${days.length} days`;
  return (
    <figure class="card">
      <figcaption>
        <strong>{props.model}</strong>{' '}
        <span class="muted small" data-testid="generation-figure">
          generations: {completed} completed · {failed} failed ({percent(failed, completed + failed)}%)
        </span>
        <br />
        <span class="muted small" data-testid="attempt-figure">
          attempts: {attempts} · {failedAttempts} failed ({percent(failedAttempts, attempts)}% attempt failure
          rate)
        </span>
      </figcaption>
      <svg class="chart" viewBox={`0 0 ${w} ${h}`} width="100%" role="img" aria-label={label}>
        <line class="grid" x1={padL} x2={w} y1={y(max)} y2={y(max)} />
        <line class="grid" x1={padL} x2={w} y1={y(0)} y2={y(0)} />
        <text x={padL - 4} y={y(max) + 4} text-anchor="end">
          {max}
        </text>
        <text x={padL - 4} y={y(0) + 4} text-anchor="end">
          0
        </text>
        {days.map((d, i) => {
          const x = padL + i * bw + 1;
          const bwi = Math.max(1, bw - 2);
          return (
            <g>
              <title>{`${d.day}: ${d.completed} completed, ${d.failed} failed; ${d.attempts} attempts, ${d.failedAttempts} failed`}</title>
              <rect x={x} y={y(d.completed)} width={bwi} height={y(0) - y(d.completed)} fill={OK} />
              <rect
                x={x}
                y={y(d.completed + d.failed)}
                width={bwi}
                height={y(d.completed) - y(d.completed + d.failed)}
                fill={BAD}
              />
              {(i === 0 || i === days.length - 1 || i % 7 === 0) && (
                <text x={x + bwi / 2} y={h - 5} text-anchor="middle">
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

/** A trend line of daily counts. */
export function Sparkline(props: { values: number[]; label: string }) {
  const w = 100;
  const h = 22;
  const max = Math.max(1, ...props.values);
  const step = w / Math.max(1, props.values.length - 1);
  const d = props.values
    .map(
      (v, i) => `${i === 0 ? 'M' : 'L'}${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <svg class="spark" viewBox={`0 0 ${w} ${h}`} width={w} height={h} role="img" aria-label={props.label}>
      <path d={d} />
    </svg>
  );
}

/** The last `n` UTC days, oldest first, as YYYY-MM-DD. */
export function lastDays(n: number, now = Date.now()): string[] {
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) out.push(new Date(now - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}
