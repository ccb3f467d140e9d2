/** @jsxImportSource hono/jsx */

/** A status as a coloured badge (`s-<status>` in the stylesheet). */
export function Status(props: { s: string }) {
  return <span class={`badge s-${props.s}`}>{props.s.replace('_', ' ')}</span>;
}
