import { createHmac } from 'node:crypto';

/**
 * A Standard Webhooks `v1` signature (the spec's "Signature scheme",
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md): the
 * base64 HMAC-SHA256 of `{id}.{timestamp in seconds}.{body}` under the secret's bytes (the base64
 * after `whsec_`). The `standardwebhooks` library computes the same in JavaScript (fast-sha256);
 * node:crypto does it in 3–5 µs instead of 20–60 µs for a body of 0.2–2 KB. Receivers verify with
 * the library (test/client/verify-webhook.test.ts, test/webhooks/delivery.test.ts).
 */
export function signatureOf(secret: string, id: string, timestamp: Date, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return `v1,${createHmac('sha256', key).update(`${id}.${seconds}.`).update(body).digest('base64')}`;
}
