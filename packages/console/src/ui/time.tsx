/** @jsxImportSource hono/jsx */

/** A moment in UTC to the second, machine-readable in `datetime`; a dash when there is none. */
export function Time(props: { at: string | Date | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const d = typeof props.at === 'string' ? new Date(props.at) : props.at;
  const iso = d.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`}</time>;
}
