// What `sst secret set` and SST's linking hand a deployed function, made locally.
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SimKnobs } from './knobs.ts';

/** Secrets `sst secret set` would hold: generated once, kept under DATA_DIR. */
export function simSecrets(dir: string, knobs: SimKnobs) {
  const file = join(dir, 'secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  stored.CursorSecret ??= randomBytes(32).toString('base64url');
  stored.AdminApiKey ??= `gl_sim_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return { ...stored, AdminApiKey: knobs.ADMIN_API_KEY ?? stored.AdminApiKey! } as Record<string, string>;
}

/** SST's encrypted links file: AES-256-GCM with a zero nonce, the tag appended; the key in SST_KEY. */
export function encryptLinks(links: Record<string, unknown>) {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 0));
  const data = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
  return { key: key.toString('base64'), data };
}

/** What each link carries, in the shape SST gives it. */
export function linkValues(options: {
  databaseUrl: (host: string) => string;
  queues: ReadonlyMap<string, { url: string }>;
  /** Buckets on fauxqs' S3 by component name → bucket name. */
  buckets: ReadonlyMap<string, string>;
  secrets: Record<string, string>;
  /** The HTTP front's URL: the API Gateway's `url`. */
  apiUrl?: string;
}) {
  return (name: string): unknown => {
    if (name === 'Api' && options.apiUrl) return { type: 'sst.aws.ApiGatewayV2', url: options.apiUrl };
    if (name === 'DatabaseUrl')
      return { type: 'sst.sst.Secret', value: options.databaseUrl('ep-sim-pooler') };
    if (name === 'DatabaseDirectUrl') return { type: 'sst.sst.Secret', value: options.databaseUrl('ep-sim') };
    const queue = options.queues.get(name);
    if (queue) return { type: 'sst.aws.Queue', url: queue.url };
    const bucket = options.buckets.get(name);
    if (bucket) return { type: 'sst.aws.Bucket', name: bucket };
    if (name in options.secrets) return { type: 'sst.sst.Secret', value: options.secrets[name] };
    throw new Error(`link ${name}: the simulation does not know this resource`);
  };
}
