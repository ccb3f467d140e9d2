import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** At most this many opened secrets are kept; past it the cache starts again. */
const OPENED_KEPT = 256;

/**
 * Webhook signing secrets at rest. Unlike an API key, a signing secret must be read back to sign
 * with, so it cannot be hashed: it is encrypted with AES-256-GCM under a key derived (HKDF-SHA256)
 * from the deployment's key material (WEBHOOK_SECRETS_KEY, else CURSOR_SECRET, else the database
 * URL; config/webhook-config.ts). A copy of the table alone does not give the secrets away, and
 * GCM's tag refuses a ciphertext that was tampered with or made under another key.
 */
export class SecretBox {
  readonly #key: Buffer;
  /** Secrets opened before, by their sealed form: a delivery function signs with the same few again and again. */
  readonly #opened = new Map<string, string>();

  constructor(material: string) {
    this.#key = Buffer.from(hkdfSync('sha256', material, 'genledger', 'webhook-signing-secrets', 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string): string {
    const known = this.#opened.get(sealed);
    if (known !== undefined) return known;
    const plaintext = this.#decrypt(sealed);
    if (this.#opened.size >= OPENED_KEPT) this.#opened.clear();
    this.#opened.set(sealed, plaintext);
    return plaintext;
  }

  #decrypt(sealed: string): string {
    if (!sealed.startsWith('v1.')) throw new Error('unknown webhook secret format');
    const raw = Buffer.from(sealed.slice(3), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

/** A new signing secret in Standard Webhooks' form: `whsec_` and 32 random bytes in base64. */
export const newSigningSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
