/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { FlashMessage } from '../session/flash-cookie.ts';
import { FlashBanner } from './flash.tsx';
import { Page, type PageContext } from './layout.tsx';

/** A full HTML page, never cached: pages show data a shared cache must not keep. */
export async function render(
  c: Context,
  title: string,
  body: Child,
  options: { status?: number; section?: string; ctx?: PageContext | null } = {},
) {
  const ctx = options.ctx === null ? undefined : (options.ctx ?? (c.get('page') as PageContext | undefined));
  const page = ctx && options.section ? { ...ctx, section: options.section } : ctx;
  // A poll (htmx) re-reads the page; the one-time message is for the page the operator loads.
  const flash =
    ctx && !c.req.header('hx-request')
      ? (c.get('takeFlash') as (() => FlashMessage | undefined) | undefined)?.()
      : undefined;
  // A JSX node renders to a string, or to a promise of one when an async component is inside.
  const html = await (
    <Page title={title} ctx={page}>
      {flash && <FlashBanner flash={flash} ctx={page} />}
      {body}
    </Page>
  ).toString();
  return c.html(`<!doctype html>${html}`, (options.status ?? 200) as 200, { 'Cache-Control': 'no-store' });
}

/** An HTML fragment for htmx swaps. */
export async function fragment(c: Context, body: { toString(): string | Promise<string> }) {
  const html = await body.toString();
  return c.html(html, 200, { 'Cache-Control': 'no-store' });
}
