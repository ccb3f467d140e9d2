import { getCookie } from 'hono/cookie';
import type { ConsoleContext } from '../../env.ts';
import { cookieIsSecure } from '../../session/session-cookie.ts';

/**
 * When this browser last looked at the failure groups: the overview counts the groups first seen
 * since then as new. Kept in the browser (one operator's "last looked"), not in the database.
 */
const GROUPS_SEEN_COOKIE = 'gl_groups_seen';
const THIRTY_DAYS = 30 * 86_400;

export function markGroupsSeen(c: ConsoleContext, now: number) {
  const parts = [
    `${GROUPS_SEEN_COOKIE}=${now}`,
    'Path=/console',
    `Max-Age=${THIRTY_DAYS}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (cookieIsSecure(new URL(c.req.url))) parts.push('Secure');
  c.header('Set-Cookie', parts.join('; '), { append: true });
}

/** When the groups were last looked at; never (0) when this browser has not. */
export function groupsSeenAt(c: ConsoleContext): number {
  const n = Number(getCookie(c, GROUPS_SEEN_COOKIE));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
