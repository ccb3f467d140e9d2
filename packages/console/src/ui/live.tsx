/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';

/** The request's path and query: what a live list polls to refresh itself. */
export const hereOf = (c: Context) => {
  const u = new URL(c.req.url);
  return `${u.pathname}${u.search}`;
};

/**
 * A list that refreshes itself like the overview: every 5 s while the tab is visible, it fetches
 * its own page and swaps in the part with its id. The client script keeps ticked rows ticked
 * across the swap; the window's scroll stays where it was.
 */
export function Live(props: { id: string; url: string; children?: Child }) {
  return (
    <div
      id={props.id}
      class="table-wrap"
      hx-get={props.url}
      hx-select={`#${props.id}`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-trigger="every 5s, console:visible"
      data-poll
      data-live
    >
      {props.children}
    </div>
  );
}
