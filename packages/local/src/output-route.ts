import { LOCAL_OUTPUTS_PATH, type LocalOutputLinks } from '@genledger/adapters/outputs/local-output-links';
import type { OutputStore } from '@genledger/core/ports/output-store';

const problem = (status: number, title: string, detail: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** Anything in a path that `new URL` may rewrite (dot segments, backslashes, escapes, whitespace). */
const REWRITABLE = /[\\%\t\r\n]|\/\./;

/**
 * Whether a request may be for an output, judged on the URL's text: the JSON API's requests skip
 * parsing a URL each (the route below parses it). Only a path that starts with the outputs' prefix,
 * or one that `new URL` could rewrite into it, answers true.
 */
export function mayBeOutput(url: string): boolean {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start === -1) return false;
  return url.startsWith(LOCAL_OUTPUTS_PATH, start) || REWRITABLE.test(url.slice(start));
}

/**
 * Serves the file store's signed links under `/outputs/` for `npm start`, as S3 serves presigned
 * GETs deployed: the link's signature and expiry are the only credential; a tampered or expired
 * one is refused with 403 and nothing is read.
 */
export function outputRoute(store: OutputStore, links: LocalOutputLinks) {
  return async (request: Request): Promise<Response | undefined> => {
    const url = new URL(request.url);
    if (!url.pathname.startsWith(LOCAL_OUTPUTS_PATH)) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return problem(405, 'Method Not Allowed', 'outputs are read with GET');
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(LOCAL_OUTPUTS_PATH.length));
    } catch {
      return problem(404, 'Not Found', 'no such output');
    }
    const verdict = links.verify(key, {
      expires: url.searchParams.get('expires'),
      signature: url.searchParams.get('signature'),
    });
    if (verdict === 'expired') return problem(403, 'Forbidden', 'the link has expired');
    if (verdict !== 'ok') return problem(403, 'Forbidden', 'the link is not signed by this server');
    const stored = await store.read(key);
    if (!stored) return problem(404, 'Not Found', 'no such output');
    return new Response(request.method === 'HEAD' ? null : stored.body, {
      status: 200,
      headers: {
        'content-type': stored.contentType,
        'content-length': String(stored.body.byteLength),
        'cache-control': 'private, max-age=60',
        'x-content-type-options': 'nosniff',
      },
    });
  };
}
