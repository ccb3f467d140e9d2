import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookRequest, WebhookResponse, WebhookSender } from '@genledger/core/ports/webhooks';
import { refusedAddress } from '@genledger/core/webhooks/address-policy';
import { Webhook } from 'standardwebhooks';

export interface SenderOptions {
  timeoutMs: number;
  /** Local development only: loopback and private targets are reached too. */
  allowPrivateNetworks: boolean;
}

/** The answer's first bytes kept with a delivery (the schema's column holds no more). */
const KEPT_RESPONSE_BYTES = 1024;

export class RefusedAddressError extends Error {
  constructor(reason: string) {
    super(`refused webhook target: ${reason}`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A DNS lookup that refuses private addresses. The request connects to the very address checked
 * here (Node hands this lookup's answer to the socket), so a name that resolves to a public address
 * for the check and a private one for the connection (DNS rebinding) cannot get through.
 */
export function checkedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = allowPrivateNetworks
        ? undefined
        : addresses.map((a) => refusedAddress(a.address)).find((r) => r !== undefined);
      if (refused) return callback(new RefusedAddressError(refused), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Why `url` may not be a target, checked as a send would (literal address, or every resolved one). */
export async function checkWebhookUrl(
  url: string,
  allowPrivateNetworks: boolean,
): Promise<string | undefined> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && !(allowPrivateNetworks && u.protocol === 'http:'))
    return 'must be an https URL (plain http only where private networks are allowed)';
  if (u.username || u.password) return 'must not carry credentials';
  if (allowPrivateNetworks) return undefined;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return refusedAddress(host);
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is a loopback name`;
  return new Promise((resolve) => {
    checkedLookup(false)(host, { all: true }, (error) => {
      if (error instanceof RefusedAddressError)
        resolve(error.message.replace('refused webhook target: ', ''));
      else if (error) resolve(`${host} does not resolve`);
      else resolve(undefined);
    });
  });
}

function readStart(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < KEPT_RESPONSE_BYTES) chunks.push(c.subarray(0, KEPT_RESPONSE_BYTES - size));
      size += c.length;
      // Nothing past the first KB is wanted: stop reading a large answer instead of draining it.
      if (size >= KEPT_RESPONSE_BYTES) res.destroy();
    });
    res.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * POSTs Standard Webhooks requests (`webhook-id`, `webhook-timestamp`, `webhook-signature` with one
 * `v1,` signature per secret, so both sign during a rotation's overlap), with a timeout, never
 * following a redirect (a 3xx is an answer like any other non-2xx), never reaching a refused address.
 */
export function webhookSender(options: SenderOptions): WebhookSender {
  const lookup = checkedLookup(options.allowPrivateNetworks);
  return {
    async send(req: WebhookRequest): Promise<WebhookResponse> {
      const started = performance.now();
      const latencyMs = () => Math.round(performance.now() - started);
      const url = new URL(req.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const literal = isIP(host) && !options.allowPrivateNetworks ? refusedAddress(host) : undefined;
      if (literal)
        return { ok: false, refused: true, error: `refused webhook target: ${literal}`, latencyMs: 0 };
      const signature = req.secrets
        .map((s) => new Webhook(s).sign(req.id, req.timestamp, req.body))
        .join(' ');
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise((resolve) => {
        const r = send(url, {
          method: 'POST',
          lookup,
          signal: AbortSignal.timeout(options.timeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'genledger-webhooks/1',
            'webhook-id': req.id,
            'webhook-timestamp': String(Math.floor(req.timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          },
        });
        r.on('response', async (res) => {
          const body = await readStart(res);
          resolve({ ok: true, status: res.statusCode ?? 0, latencyMs: latencyMs(), body });
        });
        r.on('error', (e) =>
          resolve({
            ok: false,
            refused: e instanceof RefusedAddressError,
            error: e.name === 'AbortError' ? `no answer within ${options.timeoutMs} ms` : e.message,
            latencyMs: latencyMs(),
          }),
        );
        r.end(req.body);
      });
    },
  };
}
