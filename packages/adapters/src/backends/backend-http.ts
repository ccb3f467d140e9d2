import { GeneratorError } from '@genledger/core/ports/generator';

export interface BackendCall {
  method: 'GET' | 'POST' | 'PUT';
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export interface BackendReply {
  status: number;
  json: unknown;
  text: string;
}

const errorText = (e: unknown) =>
  e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);

/**
 * One JSON request to a backend, with the classification every adapter shares: no answer in time
 * or no connection is transient; 5xx and 429 are transient; other 4xx are the request's fault
 * (permanent) unless the adapter reads them first (`accept`: Cog's 409 means busy).
 */
export async function callBackend(
  call: BackendCall,
  options: { accept?: (status: number) => boolean; name: string },
): Promise<BackendReply> {
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: call.method,
      headers: {
        accept: 'application/json',
        ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...call.headers,
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(call.timeoutMs),
    });
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    throw new GeneratorError(
      timedOut ? 'GeneratorTimeout' : 'GeneratorUnreachable',
      timedOut
        ? `${options.name} did not answer within ${call.timeoutMs} ms`
        : `${options.name} unreachable: ${errorText(e)}`,
      { transient: true, cause: e },
    );
  }
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (options.accept?.(response.status)) return { status: response.status, json, text };
  if (response.status >= 500 || response.status === 429)
    throw new GeneratorError(
      'GeneratorUnavailable',
      `${options.name} answered ${response.status}: ${text.slice(0, 300)}`,
      { transient: true },
    );
  if (response.status >= 400)
    throw new GeneratorError(
      'GeneratorRejected',
      `${options.name} rejected the request (${response.status}): ${text.slice(0, 300)}`,
      { transient: false },
    );
  return { status: response.status, json, text };
}

/** A reply that does not fit the backend's documented shape: the backend is at fault, retry. */
export const badReply = (name: string, detail: string) =>
  new GeneratorError('GeneratorBadReply', `${name} reply does not fit its contract: ${detail}`, {
    transient: true,
  });
