import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { memo } from '@genledger/core/memo';
import { CLIENT_SCRIPT } from './client-script.ts';
import { STYLES } from './styles.ts';

/**
 * Static assets of the console. htmx is read from its npm package file (`htmx.org`) on first
 * use; the console's own script and styles are strings compiled in. URLs carry a version, so they
 * are cached for a year and a new build changes the URL.
 */
const short = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 10);
export const ASSET_VERSION = short(`${CLIENT_SCRIPT}\0${STYLES}\0htmx2`);

export interface Asset {
  body: string;
  type: string;
}

const loadHtmx = memo(async (): Promise<string> => {
  let path: string;
  try {
    path = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
  } catch {
    // Deployed: no node_modules; the function's bundle has the file copied beside it (sst.config.ts).
    path = join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'htmx.min.js');
  }
  return readFile(path, 'utf8');
});

export async function asset(name: string): Promise<Asset | undefined> {
  switch (name) {
    case 'htmx.min.js':
      return { body: await loadHtmx(), type: 'text/javascript; charset=utf-8' };
    case 'console.js':
      return { body: CLIENT_SCRIPT, type: 'text/javascript; charset=utf-8' };
    case 'console.css':
      return { body: STYLES, type: 'text/css; charset=utf-8' };
    default:
      return undefined;
  }
}

export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** Bytes of every script the console serves, raw and gzip-compressed (the 50 KB budget is gzip). */
export async function scriptSizes(): Promise<{ raw: number; gzip: number }> {
  const scripts = [await loadHtmx(), CLIENT_SCRIPT];
  return {
    raw: scripts.reduce((n, s) => n + Buffer.byteLength(s), 0),
    gzip: scripts.reduce((n, s) => n + gzipSync(s, { level: 9 }).length, 0),
  };
}
