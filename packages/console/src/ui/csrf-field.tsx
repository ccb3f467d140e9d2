/** @jsxImportSource hono/jsx */
import type { PageContext } from './layout.tsx';

/** The session's CSRF token as a form field: every state-changing form carries one. */
export function Csrf(props: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={props.ctx.csrf} />;
}
