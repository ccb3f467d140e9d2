/** @jsxImportSource hono/jsx */

import type { ConsoleKey } from '@genledger/core/ports/console-read-model';
import type { Child } from 'hono/jsx';
import { ASSET_VERSION } from '../assets/assets.ts';

/** What every signed-in page's frame shows: who, the CSRF token its forms carry, the current section. */
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
  ['/console/webhooks', 'Webhooks'],
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
