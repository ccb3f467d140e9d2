import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/**
 * API Gateway HTTP API (payload v2) event → web Request, and Response → result. Small on purpose:
 * `hono/aws-lambda` is deprecated upstream, and the app only needs the standard Request/Response.
 */
export function requestFromEvent(event: APIGatewayProxyEventV2): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers.set(name, value);
  }
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const host = event.headers?.host ?? event.requestContext.domainName ?? 'localhost';
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const method = event.requestContext.http.method.toUpperCase();
  const hasBody = method !== 'GET' && method !== 'HEAD' && event.body !== undefined && event.body !== null;
  const body = hasBody
    ? event.isBase64Encoded
      ? Buffer.from(event.body!, 'base64')
      : Buffer.from(event.body!, 'utf8')
    : undefined;
  return new Request(`https://${host}${event.rawPath || '/'}${query}`, { method, headers, body });
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
  const buffer = Buffer.from(await response.arrayBuffer());
  const textual = buffer.length === 0 || TEXTUAL.test(type);
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body: textual ? buffer.toString('utf8') : buffer.toString('base64'),
    isBase64Encoded: !textual,
  };
}
