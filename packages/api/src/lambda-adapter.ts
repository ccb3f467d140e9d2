import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * API Gateway HTTP API (payload 2.0) event → web Request, and Response → result. Kept over
 * `hono/aws-lambda`'s `handle` because it is correct where `handle` is not (docs/http.md: paths
 * with an encoded `#` or `?`, header values above U+00FF, events that are not payload 2.0).
 */

/** Why an event could not become a request: answered 400 problem+json, never thrown to API Gateway. */
export class UnusableEventError extends Error {}

/**
 * `rawPath` arrives percent-decoded. Pasted into a URL as it is, a decoded `#` or `?` would end
 * the path there (`/settings/a%23x` would reach `/settings/a`); `%` itself is escaped first so a
 * decoded `%2F` stays the literal it was. Everything else the URL parser escapes on its own.
 */
export const pathLiteral = (rawPath: string): string =>
  rawPath.replaceAll('%', '%25').replaceAll('#', '%23').replaceAll('?', '%3F');

/**
 * Header values are bytes; API Gateway hands them over as UTF-8 text. `Headers` accepts only
 * ByteStrings (≤ U+00FF), so a value like `€` or CJK text is given as its UTF-8 bytes read as
 * Latin-1 — exactly what a Node HTTP server hands the app for the same request locally.
 */
const byteString = (value: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ByteString range is the point
  /[^\u0000-\u00ff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;

export function requestFromEvent(event: APIGatewayProxyEventV2): Request {
  const http = event?.requestContext?.http;
  if (!http || typeof http.method !== 'string' || typeof event.rawPath !== 'string') {
    throw new UnusableEventError(
      'not an API Gateway HTTP API payload 2.0 event (requestContext.http or rawPath missing)',
    );
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value === undefined || value === null) continue;
    try {
      headers.set(name, byteString(String(value)));
    } catch {
      throw new UnusableEventError(`header ${JSON.stringify(name.slice(0, 64))} is not a valid HTTP header`);
    }
  }
  if (event.cookies?.length) headers.set('cookie', byteString(event.cookies.join('; ')));
  const host = event.requestContext.domainName || 'localhost';
  // API Gateway sets X-Forwarded-Proto itself (https); a front that serves plain http (the sim's)
  // says so, and the origin the console compares with must then be http too.
  const scheme = headers.get('x-forwarded-proto') === 'http' ? 'http' : 'https';
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const method = http.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && event.body !== undefined && event.body !== null;
  const body = hasBody
    ? event.isBase64Encoded
      ? Buffer.from(event.body!, 'base64')
      : Buffer.from(event.body!, 'utf8')
    : undefined;
  if (body) {
    // API Gateway hands over the whole body, so its length is known. Stated here, the body limit
    // (limit-body.ts) judges the true size: a client's own Content-Length could be false (a small
    // one let a 70 KB body past the 413), or absent (HTTP/2, chunked). Measured, it is no faster:
    // on Lambda the body is a buffer either way (43.8 against 41.6 µs per event).
    headers.set('content-length', String(body.byteLength));
    headers.delete('transfer-encoding');
  }
  try {
    return new Request(`${scheme}://${host}${pathLiteral(event.rawPath || '/')}${query}`, {
      method,
      headers,
      body,
    });
  } catch (e) {
    throw new UnusableEventError(
      `the request could not be formed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

const TEXTUAL =
  /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript)|application\/x-www-form-urlencoded)/i;

export async function resultFromResponse(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') cookies.push(value);
    else headers[name] = value;
  });
  const type = response.headers.get('content-type') ?? '';
  // Text stays text (no Buffer round trip); anything else goes base64, as API Gateway expects,
  // and so does compressed text: its bytes are no longer UTF-8.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const textual = !encoded && (type === '' || TEXTUAL.test(type));
  const body = textual ? await response.text() : Buffer.from(await response.arrayBuffer()).toString('base64');
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body,
    isBase64Encoded: !textual && body.length > 0,
  };
}
