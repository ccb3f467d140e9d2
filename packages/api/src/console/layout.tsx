/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import { ASSET_VERSION } from './assets.ts';
import type { ConsoleKey } from './queries.ts';

export interface PageContext {
  who: ConsoleKey;
  csrf: string;
  /** Path of the current section, to mark the nav link. */
  section: string;
}

const ADMIN_NAV: [string, string][] = [
  ['/console/', 'Overview'],
  ['/console/generations', 'Generations'],
  ['/console/failed', 'Failed messages'],
  ['/console/retries', 'Retries'],
  ['/console/events', 'Event log'],
  ['/console/keys', 'API keys'],
  ['/console/settings', 'Settings'],
];
const USER_NAV: [string, string][] = [['/console/generations', 'Generations']];

export function Page(props: { title: string; ctx?: PageContext; children?: Child }) {
  const { ctx } = props;
  const nav = ctx ? (ctx.who.isAdmin ? ADMIN_NAV : USER_NAV) : [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta
          name="htmx-config"
          content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyCacheSize":0}'
        />
        <title>{`${props.title} · genledger console`}</title>
        <link rel="stylesheet" href={`/console/assets/console.css?v=${ASSET_VERSION}`} />
        <script src={`/console/assets/htmx.min.js?v=${ASSET_VERSION}`} defer />
        <script src={`/console/assets/console.js?v=${ASSET_VERSION}`} defer />
      </head>
      <body hx-headers={ctx ? JSON.stringify({ 'X-CSRF-Token': ctx.csrf }) : undefined}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        {ctx && (
          <header class="top">
            <a class="brand" href="/console/">
              genledger
            </a>
            <nav aria-label="Sections">
              {nav.map(([href, label]) => (
                <a href={href} aria-current={ctx.section === href ? 'page' : undefined}>
                  {label}
                </a>
              ))}
            </nav>
            <div class="who">
              <span>
                {ctx.who.name} <code>{ctx.who.prefix}</code> {ctx.who.isAdmin ? '(admin)' : ''}
              </span>
              <form method="post" action="/console/signout">
                <input type="hidden" name="_csrf" value={ctx.csrf} />
                <button type="submit" class="secondary">
                  Sign out
                </button>
              </form>
            </div>
          </header>
        )}
        <main id="main">{props.children}</main>
      </body>
    </html>
  );
}

export function Csrf(props: { ctx: PageContext }) {
  return <input type="hidden" name="_csrf" value={props.ctx.csrf} />;
}

export function Status(props: { s: string }) {
  return <span class={`badge s-${props.s}`}>{props.s.replace('_', ' ')}</span>;
}

export function Time(props: { at: string | Date | null | undefined }) {
  if (!props.at) return <span class="muted">—</span>;
  const d = typeof props.at === 'string' ? new Date(props.at) : props.at;
  const iso = d.toISOString();
  return <time datetime={iso}>{`${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`}</time>;
}

export function Flash(props: { kind: 'ok' | 'error'; children?: Child }) {
  return (
    <div class={`flash ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** The one row a table shows when it has none: a muted note across all its columns. */
export function EmptyRow(props: { cols: number; children?: Child }) {
  return (
    <tr>
      <td colspan={props.cols} class="muted">
        {props.children}
      </td>
    </tr>
  );
}

/** A URL with the given query parameters, empty ones dropped. */
export function href(path: string, params: Record<string, string | string[] | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) u.append(k, x);
    else u.set(k, v);
  }
  const s = u.toString();
  return s ? `${path}?${s}` : path;
}
