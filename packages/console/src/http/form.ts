import { validationError } from '@genledger/core/errors';
import type { Context } from 'hono';

/**
 * Form fields as strings; repeated fields as arrays (`all`), the rest once. A body that cannot be
 * read as a form (a multipart body without its boundary, garbage after the header) is the
 * sender's fault: a 400 page, before any session or CSRF check could be misled by half a form.
 */
export async function form(c: Context): Promise<Record<string, string | string[]>> {
  let body: Awaited<ReturnType<typeof c.req.parseBody>>;
  try {
    body = await c.req.parseBody({ all: true });
  } catch {
    throw validationError('the form could not be read: send it as the page does', [
      { field: 'body', message: 'not a readable form' },
    ]);
  }
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** A field's first value. */
export const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** A field's every value. */
export const many = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];
