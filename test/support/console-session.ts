// What the console's HTML tests share: a signed-in session against an app in process, and the
// form's CSRF token.

export const BASE = 'http://localhost';

interface InProcessApp {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** Signs in with `key`: the session cookie, and requests that carry it with the console's Origin. */
export async function consoleSession(app: InProcessApp, key: string) {
  const res = await app.request(`${BASE}/console/signin`, {
    method: 'POST',
    body: new URLSearchParams({ key }),
    headers: { origin: BASE },
  });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const req = (path: string, init: RequestInit = {}) =>
    app.request(`${BASE}${path}`, { ...init, headers: { cookie, origin: BASE }, redirect: 'manual' });
  return { cookie, req };
}

/** The CSRF token of the first form on a page. */
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
