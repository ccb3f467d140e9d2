import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { paths } from './openapi.ts';

/** Every path, operation and named resource of the API (`Generation`, `FailedMessage`, `Problem`…). */
export type * from './openapi.ts';
export { verifyWebhook, type WebhookMessage, WebhookVerificationError } from './verify-webhook.ts';

export interface GenledgerClientOptions
  extends Omit<ClientOptions, 'baseUrl' | 'headers' | 'querySerializer'> {
  /** Where the API answers, such as `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` on every request. */
  apiKey?: string;
  headers?: Record<string, string>;
}

export type GenledgerClient = Client<paths>;

/**
 * An openapi-fetch client over the API's generated types: `client.GET('/generations/{id}', …)`
 * answers `{ data, error, response }`, `data` typed by the route's success body and `error` by its
 * problem (RFC 9457).
 */
export function createGenledgerClient(options: GenledgerClientOptions): GenledgerClient {
  const { baseUrl, apiKey, headers, ...rest } = options;
  return createClient<paths>({
    ...rest,
    baseUrl,
    headers: { ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
    // The document declares list parameters comma-separated (`status=pending,running`).
    querySerializer: { array: { style: 'form', explode: false } },
  });
}
