import { randomBytes } from 'node:crypto';
import { callbackTokenCodec } from '@genledger/core/use-cases/backend/callback-token';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const codec = callbackTokenCodec(Buffer.from('k'.repeat(32)));

describe('callback tokens (v2)', () => {
  it('open what they mint: the generation and attempt back, 70 characters, a fresh token each time', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 0, max: 0xffffffff }), (id, attempt) => {
        const { token, hash } = codec.mint(id, attempt);
        expect(token).toMatch(/^[A-Za-z0-9_-]{70}$/);
        expect(hash).toMatch(/^[0-9a-f]{64}$/);
        expect(codec.open(token)).toEqual({ version: 2, generationId: id.toLowerCase(), attempt });
        expect(codec.mint(id, attempt).token).not.toBe(token);
      }),
    );
  });

  it('call any changed character or another key unverified (looked up by hash), another spelling forged, and anything else a legacy token', () => {
    const { token } = codec.mint(crypto.randomUUID(), 3);
    for (let i = 0; i < token.length - 1; i++) {
      const c = token[i] === 'A' ? 'B' : 'A';
      expect(codec.open(token.slice(0, i) + c + token.slice(i + 1)).version, `character ${i}`).toBe(
        'unverified',
      );
    }
    // The last character carries 4 spare bits that must be zero: one token, one spelling.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1];
    expect(codec.open(respelled).version).toBe('forged');
    expect(callbackTokenCodec(Buffer.from('x'.repeat(32))).open(token)).toEqual({ version: 'unverified' });
    expect(codec.open(randomBytes(32).toString('base64url'))).toEqual({ version: 1 });
    expect(codec.open(`${token}A`)).toEqual({ version: 1 });
    expect(codec.open(token.replace(/^./, '+'))).toEqual({ version: 1 });
    expect(() => codec.mint('not-a-uuid', 1)).toThrow();
    expect(() => codec.mint(crypto.randomUUID(), -1)).toThrow();
  });
});
