import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationError } from './errors.ts';

/**
 * Opaque paging cursors: base64url(JSON) + "." + HMAC-SHA256. The MAC makes a cursor
 * tamper-evident (a client cannot forge a position or move it to another query); it does not make
 * it secret, and needs not: owner scoping is enforced by the query itself, never by the cursor.
 * Each cursor is bound to the query it came from (sort and filters), so reusing it with other
 * parameters is a 400 instead of a silently wrong page. The JSON API and the console's page links
 * both sign with it.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(secret, 'utf8');
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest();
  }

  encode(payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.mac(body).toString('base64url')}`;
  }

  decode(cursor: string): unknown {
    const bad = () =>
      validationError('the cursor is not valid', [
        { field: 'cursor', message: 'not a cursor this API issued' },
      ]);
    const dot = cursor.indexOf('.');
    if (dot <= 0 || cursor.length > 2000) throw bad();
    const body = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
    const expected = this.mac(body);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad();
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
  }
}
