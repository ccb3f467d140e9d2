// API Gateway HTTP API in front of the API function: each request becomes the payload 2.0 event
// API Gateway sends, the structured result becomes the response. Function errors and timeouts get
// API Gateway's own bare answers ({"message":"Internal Server Error"}, 503), as deployed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { InvokeResult } from './lambda-runtime.ts';

const TEXTUAL =
  /^(?:text\/|application\/(?:[\w.+-]+\+)?(?:json|xml|javascript)|application\/x-www-form-urlencoded|multipart\/form-data)/i;
/** HTTP APIs accept payloads up to 10 MB. */
const MAX_BODY = 10 * 1024 * 1024;

/** The payload 2.0 event for one request. */
function eventFromRequest(
  req: { method: string; url: string; headers: IncomingMessage['headers']; remoteAddress?: string },
  body: Buffer,
): APIGatewayProxyEventV2 {
  const url = req.url;
  const q = url.indexOf('?');
  const encodedPath = q >= 0 ? url.slice(0, q) : url;
  const rawQueryString = q >= 0 ? url.slice(q + 1) : '';
  let rawPath: string;
  try {
    // API Gateway hands over the path percent-decoded.
    rawPath = decodeURIComponent(encodedPath);
  } catch {
    rawPath = encodedPath;
  }
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value : [value]).flatMap((c) => c.split(/;\s*/)).filter(Boolean);
      continue;
    }
    // Node gives header bytes as Latin-1; API Gateway gives them as UTF-8 text.
    const text = (Array.isArray(value) ? value.join(',') : value).toString();
    headers[name] = Buffer.from(text, 'latin1').toString('utf8');
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQueryString)) {
    queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  }
  // As API Gateway does, whatever the client sent: the scheme and address the front was reached on
  // (the API's URLs, and so the console's origin check, follow the scheme).
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-for'] = req.remoteAddress ?? '127.0.0.1';
  const textual = TEXTUAL.test(headers['content-type'] ?? '') || headers['content-type'] === undefined;
  const now = new Date();
  const requestId = `${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64url')}=`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(rawQueryString ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'sim',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method: req.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: req.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

function reply(res: ServerResponse, result: InvokeResult) {
  if (!result.ok) {
    const timedOut = result.error?.errorType === 'Sandbox.Timedout';
    res.writeHead(timedOut ? 503 : 500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: timedOut ? 'Service Unavailable' : 'Internal Server Error' }));
    return;
  }
  const r = result.result as APIGatewayProxyStructuredResultV2 | null;
  if (!r || typeof r !== 'object' || typeof r.statusCode !== 'number') {
    // A non-structured result: API Gateway answers 200 with it as JSON.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(r));
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const body =
    r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(r.statusCode, headers);
  res.end(body);
}

export async function startHttpFront(options: {
  port: number;
  host?: string;
  invoke(event: APIGatewayProxyEventV2): Promise<InvokeResult>;
}): Promise<{ server: Server; url: string; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        res.writeHead(413, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
        return;
      }
      const event = eventFromRequest(
        {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          remoteAddress: req.socket.remoteAddress,
        },
        Buffer.concat(chunks),
      );
      options.invoke(event).then(
        (result) => reply(res, result),
        () => reply(res, { ok: false, coldStart: false, durationMs: 0 }),
      );
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
