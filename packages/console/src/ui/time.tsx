/** @jsxImportSource hono/jsx */

/** "3 min ago", "in 2 h": how long ago a moment was, to the unit an operator reads at a glance. */
function relative(at: Date, now: number): string {
  const s = Math.round((now - at.getTime()) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60
      ? [abs, 's']
      : abs < 3600
        ? [Math.floor(abs / 60), 'min']
        : abs < 86_400
          ? [Math.floor(abs / 3600), 'h']
          : [Math.floor(abs / 86_400), abs < 172_800 ? 'day' : 'days'];
  if (abs < 5) return 'just now';
  return s >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

/**
 * A moment as how long ago it was ("3 min ago"), with the absolute UTC time on hover and in
 * `datetime`; a dash when there is none. Pages that poll keep it current.
 */
export function Time(props: { at: string | Date | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const d = typeof props.at === 'string' ? new Date(props.at) : props.at;
  const iso = d.toISOString();
  const absolute = `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
  return (
    <time datetime={iso} title={absolute}>
      {relative(d, Date.now())}
    </time>
  );
}
