import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LocalOutputLinks {
  /** `{base}/outputs/{key}?expires=…&signature=…`, valid for the configured time. */
  sign(key: string): string;
  /** Whether a request for `key` carries a signature of ours that has not expired. */
  verify(
    key: string,
    query: { expires?: string | null; signature?: string | null },
  ): 'ok' | 'expired' | 'invalid';
}

/** The path prefix the local server serves outputs under. */
export const LOCAL_OUTPUTS_PATH = '/outputs/';

/**
 * Signed, expiring links to the file store's outputs, served by the local server (`npm start`):
 * an HMAC-SHA256 over the key and the expiry time, with a secret from configuration
 * (OUTPUT_URL_SECRET, or one derived from the cursor secret). Like an S3 presigned GET, a link
 * grants that one output to whoever holds it, until it expires; no API key is needed.
 */
export function localOutputLinks(options: {
  secret: string;
  /** The server's public base URL (PUBLIC_URL, or where it listens), read when a link is made. */
  baseUrl: () => string;
  ttlS: number;
  now?: () => number;
}): LocalOutputLinks {
  const now = options.now ?? Date.now;
  const mac = (key: string, expires: string) =>
    createHmac('sha256', options.secret).update(`${key}\n${expires}`).digest();
  return {
    sign(key) {
      const expires = String(Math.floor(now() / 1000) + options.ttlS);
      const signature = mac(key, expires).toString('base64url');
      const path = key.split('/').map(encodeURIComponent).join('/');
      return `${options.baseUrl().replace(/\/+$/, '')}${LOCAL_OUTPUTS_PATH}${path}?expires=${expires}&signature=${signature}`;
    },
    verify(key, query) {
      const { expires, signature } = query;
      if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return 'invalid';
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(key, expires);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return Number(expires) * 1000 < now() ? 'expired' : 'ok';
    },
  };
}
