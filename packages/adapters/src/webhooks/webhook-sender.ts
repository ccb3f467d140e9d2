import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { WebhookRequest, WebhookResponse, WebhookSender } from '@genledger/core/ports/webhooks';
import { refusedAddress } from '@genledger/core/webhooks/address-policy';
import { signatureOf } from './webhook-signature.ts';
import { checkedLookup, RefusedAddressError } from './webhook-url-check.ts';

export interface SenderOptions {
  timeoutMs: number;
  /** Local development only: loopback and private targets are reached too. */
  allowPrivateNetworks: boolean;
}

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The answer's first bytes kept with a delivery (the schema's column holds no more). */
const KEPT_RESPONSE_BYTES = 1024;

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
  // Kept-alive connections of this sender's own (as Node's global agents keep them): a connection is
  // checked by `lookup` when it is opened, so none opened under another policy is ever reused here.
  const keep = { keepAlive: true, scheduling: 'lifo', timeout: 5_000 } as const;
  const agents = { http: new HttpAgent(keep), https: new HttpsAgent(keep) };
  return {
    async send(req: WebhookRequest): Promise<WebhookResponse> {
      const started = performance.now();
      const latencyMs = () => Math.round(performance.now() - started);
      const url = new URL(req.url);
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const literal = isIP(host) && !options.allowPrivateNetworks ? refusedAddress(host) : undefined;
      if (literal)
        return { ok: false, refused: true, error: `refused webhook target: ${literal}`, latencyMs: 0 };
      const signature = req.secrets.map((s) => signatureOf(s, req.id, req.timestamp, req.body)).join(' ');
      const https = url.protocol === 'https:';
      return new Promise((resolve) => {
        const r = (https ? httpsRequest : httpRequest)(url, {
          method: 'POST',
          agent: https ? agents.https : agents.http,
          lookup,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'genledger-webhooks/1',
            'webhook-id': req.id,
            'webhook-timestamp': String(Math.floor(req.timestamp.getTime() / 1000)),
            'webhook-signature': signature,
          },
        });
        // One deadline for the whole exchange, the answer's first KB included, as AbortSignal.timeout
        // set it, without the signal's listeners on the request and socket (docs/benchmarks.md#webhook-deliveries).
        const deadline = setTimeout(() => r.destroy(new TimeoutError()), options.timeoutMs).unref();
        r.on('close', () => clearTimeout(deadline));
        r.on('response', async (res) => {
          const body = await readStart(res);
          clearTimeout(deadline);
          resolve({ ok: true, status: res.statusCode ?? 0, latencyMs: latencyMs(), body });
        });
        r.on('error', (e) =>
          resolve({
            ok: false,
            refused: e instanceof RefusedAddressError,
            error: e instanceof TimeoutError ? `no answer within ${options.timeoutMs} ms` : e.message,
            latencyMs: latencyMs(),
          }),
        );
        r.end(req.body);
      });
    },
  };
}
