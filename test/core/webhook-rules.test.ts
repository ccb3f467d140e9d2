// The webhook rules that decide without I/O: which addresses are refused, the retry schedule, the
// sealing of signing secrets, a failure group's spike and an endpoint's auto-disable.

import { failingTooLong } from '@genledger/core/use-cases/deliver-webhook';
import { spikeChange } from '@genledger/core/use-cases/failed-messages/failure-spike';
import { refusedAddress } from '@genledger/core/webhooks/address-policy';
import {
  MAX_VISIBILITY_S,
  retryDelaySeconds,
  WEBHOOK_MAX_ATTEMPTS,
} from '@genledger/core/webhooks/retry-schedule';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import { describe, expect, it } from 'vitest';

describe('refused webhook addresses (checked without sending anything)', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'private'],
    ['100.64.0.1', 'CGNAT'],
    ['100.127.255.254', 'CGNAT'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'link-local (cloud metadata)'],
  ])('%s is refused as %s', (address, reason) => {
    expect(refusedAddress(address)).toContain(reason);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111'])(
    '%s is public',
    (address) => {
      expect(refusedAddress(address)).toBeUndefined();
    },
  );
});

describe('the retry schedule', () => {
  it('starts at the base and doubles, capped at SQS longest visibility', () => {
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(n, 30))).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(20, 30)).toBe(MAX_VISIBILITY_S);
  });

  it('spans about a day from the first attempt to the last at the default base', () => {
    let total = 0;
    for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) total += retryDelaySeconds(attempt, 30);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(36);
  });
});

describe('sealed signing secrets', () => {
  it('open with the same key material, and not with another or after tampering', () => {
    const secret = newSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const box = new SecretBox('k'.repeat(40));
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.open(sealed)).toBe(secret);
    expect(() => new SecretBox('j'.repeat(40)).open(sealed)).toThrow();
    const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`;
    expect(() => box.open(flipped)).toThrow();
  });

  it('opens a secret again as often as asked, past the opened secrets it keeps too; a tampered one never', () => {
    const box = new SecretBox('k'.repeat(40));
    const secrets = Array.from({ length: 300 }, () => newSigningSecret());
    const sealed = secrets.map((s) => box.seal(s));
    for (let round = 0; round < 2; round++)
      for (const [i, s] of sealed.entries()) expect(box.open(s)).toBe(secrets[i]);
    const flipped = `${sealed[0]!.slice(0, -3)}${sealed[0]!.at(-3) === 'A' ? 'B' : 'A'}${sealed[0]!.slice(-2)}`;
    expect(() => box.open(flipped)).toThrow();
    expect(() => box.open(flipped)).toThrow();
  });
});

describe('a failure group spike', () => {
  const rule = { threshold: 10, windowMinutes: 15 };
  it('is raised when the window reaches the threshold, once: a spiking group raises nothing more', () => {
    expect(spikeChange(false, 9, rule)).toBe('none');
    expect(spikeChange(false, 10, rule)).toBe('raise');
    expect(spikeChange(true, 10, rule)).toBe('none');
    expect(spikeChange(true, 6, rule)).toBe('none');
  });
  it('ends when the window falls to half the threshold, so a rate hovering at it raises once', () => {
    expect(spikeChange(true, 5, rule)).toBe('end');
    expect(spikeChange(true, 0, rule)).toBe('end');
    expect(spikeChange(false, 5, rule)).toBe('none');
  });
});

describe('auto-disable after failing', () => {
  const since = new Date('2026-12-01T00:00:00Z');
  const fiveDays = 5 * 86_400;
  it('counts from the first failure of the streak; no streak, no disable', () => {
    expect(failingTooLong(since, new Date(since.getTime() + fiveDays * 1000 - 1), fiveDays)).toBe(false);
    expect(failingTooLong(since, new Date(since.getTime() + fiveDays * 1000), fiveDays)).toBe(true);
    expect(failingTooLong(null, new Date(since.getTime() + 100 * fiveDays * 1000), fiveDays)).toBe(false);
  });
});
