/** @jsxImportSource hono/jsx */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ConsoleDeps } from './deps.ts';
import { Page, type PageContext } from './layout.tsx';
import type { ConsoleKey, ConsoleQueries } from './queries.ts';
import type { SessionPayload } from './session.ts';

export interface ConsoleServices {
  deps: ConsoleDeps;
  queries: ConsoleQueries;
  secret: string;
  now: () => number;
}

export type ConsoleEnv = {
  Variables: { who: ConsoleKey; session: SessionPayload; page: PageContext };
};
export type ConsoleContext = Context<ConsoleEnv>;

/** A full HTML page, never cached: pages show data a shared cache must not keep. */
export async function render(
  c: Context,
  title: string,
  body: Child,
  options: { status?: number; section?: string; ctx?: PageContext | null } = {},
) {
  const ctx = options.ctx === null ? undefined : (options.ctx ?? (c.get('page') as PageContext | undefined));
  const page = ctx && options.section ? { ...ctx, section: options.section } : ctx;
  // A JSX node renders to a string, or to a promise of one when an async component is inside.
  const html = await (
    <Page title={title} ctx={page}>
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

/** Form fields as strings; repeated fields as arrays (`all`), the rest once. */
export async function form(c: Context): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
export const many = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** What the stores record as event metadata for a console action: who, from where, never a key. */
export const metadataOf = (c: ConsoleContext) => ({ apiKeyId: c.get('who').id, source: 'console' });
