import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** An API Gateway HTTP API (payload format 2.0) event as Lambda receives it. */
export function apiGatewayEvent(
  method: string,
  pathWithQuery: string,
  options: { headers?: Record<string, string>; body?: string; base64?: boolean; requestId?: string } = {},
): APIGatewayProxyEventV2 {
  const [rawPath, rawQueryString = ''] = pathWithQuery.split('?') as [string, string?];
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[k] =
      queryStringParameters[k] === undefined ? v : `${queryStringParameters[k]},${v}`;
  }
  const requestId = options.requestId ?? `req-${Math.random().toString(36).slice(2)}`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    cookies: ['session=abc'],
    headers: {
      accept: '*/*',
      host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'user-agent': 'curl/8.5.0',
      'x-amzn-trace-id': 'Root=1-65f0c0de-0123456789abcdef01234567',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-port': '443',
      'x-forwarded-proto': 'https',
      ...(options.body !== undefined
        ? { 'content-length': String(Buffer.byteLength(options.body, options.base64 ? 'base64' : 'utf8')) }
        : {}),
      ...options.headers,
    },
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: '23/Nov/2026:07:00:00 +0000',
      timeEpoch: Date.now(),
    },
    ...(options.body !== undefined
      ? { body: options.body, isBase64Encoded: options.base64 ?? false }
      : { isBase64Encoded: false }),
  };
}
