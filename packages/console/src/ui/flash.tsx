/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';

/** A message above a page's content: an outcome (ok), or what went wrong (error, announced at once). */
export function Flash(props: { kind: 'ok' | 'error'; children?: Child }) {
  return (
    <div class={`flash ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}
