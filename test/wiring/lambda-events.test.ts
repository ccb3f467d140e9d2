// The deployed path's defects (issue 10, points 1–4), each driven the way Lambda drives it: captured
// API Gateway and SQS events (test/fixtures, credited there), links in SST's encrypted form, SQS
// over its wire protocol (fauxqs).
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { requestFromEvent } from '@genledger/api/lambda-adapter';
import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import { FAILED_MESSAGE_STATUSES } from '@genledger/core/contracts/failed-messages';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { SettingsStore } from '@genledger/db/settings-store';
import { localhostDns, type SimSqs, startSqs } from '@genledger/sim/sqs';
import { ensureAdminKey } from '@genledger/wiring/admin-key';
import { createApiHandler } from '@genledger/wiring/api';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { emfDocument, type MetricLine } from '@genledger/wiring/emf-metrics';
import { linkedEnvironment } from '@genledger/wiring/linked-environment';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meteredGenerator, meteredRetryBatches } from '../../packages/wiring/src/metered.ts';
import { modelDimensions } from '../../packages/wiring/src/metric-dimensions.ts';
import { uniqueSchema, useDatabases } from '../support/databases.ts';
import { message } from '../support/sqs-events.ts';

const dbs = useDatabases();
const ADMIN = `events-admin-key-${'e'.repeat(30)}`;
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T;

/** The captured POST event, adapted only in method, path, body and auth. */
function capturedEvent(
  method: string,
  rawPath: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const e = structuredClone(fixture<APIGatewayProxyEventV2>('apigw-v2-post.json'));
  e.rawPath = rawPath;
  e.rawQueryString = '';
  delete e.queryStringParameters;
  e.requestContext.http.method = method;
  e.requestContext.http.path = rawPath;
  e.requestContext.requestId = `req-${crypto.randomUUID()}`;
  e.headers = { ...e.headers, authorization: `Bearer ${ADMIN}`, ...options.headers };
  if (options.body === undefined) delete e.body;
  else {
    e.body = options.body;
    e.headers['content-type'] = 'application/json';
  }
  return e;
}

/** SST's encrypted links: AES-256-GCM, zero nonce, tag appended; the key in SST_KEY (base64). */
function encryptLinks(links: Record<string, unknown>) {
  const key = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, Buffer.alloc(12, 0));
  const data = Buffer.concat([cipher.update(JSON.stringify(links)), cipher.final(), cipher.getAuthTag()]);
  const file = join(mkdtempSync(join(tmpdir(), 'sst-links-')), 'resource.enc');
  writeFileSync(file, data);
  return { SST_KEY: key.toString('base64'), SST_KEY_FILE: file };
}

let sqs: SimSqs;
let queue: { url: string; arn: string };
let restoreDns: () => void;
let database: Database;
let schema: string;
const saved = { ...process.env };

beforeAll(async () => {
  sqs = await startSqs();
  restoreDns = localhostDns();
  queue = sqs.createQueue('Queue');
  schema = uniqueSchema('events');
  database = await dbs.open('postgres', { schema });
  await ensureAdminKey(database, ADMIN);
  // As deployed: nothing but the encrypted links and the environment block; no QUEUE_URL, no DATABASE_URL.
  Object.assign(process.env, {
    ...encryptLinks({
      DatabaseUrl: { type: 'sst.sst.Secret', value: dbs.server().url },
      Queue: { type: 'sst.aws.Queue', url: queue.url },
      App: { name: 'genledger', stage: 'test' },
    }),
    SST_RESOURCE_App: JSON.stringify({ name: 'genledger', stage: 'test' }),
    DB_SCHEMA: schema,
    LOG_LEVEL: 'silent',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    MAINTENANCE_RESEND_AFTER_S: '0',
  });
});
afterAll(async () => {
  process.env = saved;
  restoreDns?.();
  await sqs?.stop();
});

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('linked resources (point 3)', () => {
  it('are read through SST’s Resource, including links delivered encrypted in SST_KEY_FILE', () => {
    const env = linkedEnvironment();
    expect(env.DATABASE_URL).toBe(dbs.server().url);
    expect(env.QUEUE_URL).toBe(queue.url);
  });
});

describe('maintenance as deployed (point 1)', () => {
  it('gets its queue from the linked Queue and re-sends a generation whose send failed', async () => {
    // The API accepts while SQS is unreachable: the generation is stored, marked not enqueued.
    const api = createApiHandler({
      env: linkedEnvironment(),
      database: async () => database,
      queue: () => ({
        async send(messages) {
          return { failed: messages.map((m) => ({ generationId: m.generationId, error: 'SQS down' })) };
        },
      }),
      logger: silent,
    });
    const created = await api(
      capturedEvent('POST', '/generations', { body: JSON.stringify({ prompt: 'a lighthouse at dusk' }) }),
    );
    expect(created.statusCode, created.body).toBe(202);
    const id = JSON.parse(created.body!).id as string;

    const { handler } = await import('../../functions/maintenance.ts');
    const summary = await handler();
    expect(summary.resendSkipped).toBeUndefined();
    expect(summary.resent).toBe(1);

    const client = new SQSClient({});
    const got = await client.send(
      new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    expect(got.Messages?.map((m) => JSON.parse(m.Body!).generationId)).toEqual([id]);
  });
});

describe('the builtin generator on Lambda (point 2)', () => {
  it('writes under the temporary directory, never the read-only code directory', () => {
    const onLambda = resolveWorkerConfig({ AWS_LAMBDA_FUNCTION_NAME: 'genledger-test-Worker' });
    expect(onLambda.dataDir.startsWith(tmpdir())).toBe(true);
    expect(resolveWorkerConfig({}).dataDir).toBe('.data');
    expect(resolveWorkerConfig({ AWS_LAMBDA_FUNCTION_NAME: 'w', DATA_DIR: '/mnt/efs' }).dataDir).toBe(
      '/mnt/efs',
    );
  });
});

describe('API Gateway events (point 4)', () => {
  const lines: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (m: string, f?: Record<string, unknown>) => lines.push(JSON.stringify({ m, ...f })),
    error: (m: string, f?: Record<string, unknown>) => lines.push(JSON.stringify({ m, ...f })),
  };
  const handler = () =>
    createApiHandler({ env: { LOG_LEVEL: 'silent' }, database: async () => database, logger });

  it('routes a decoded rawPath as the literal it is: an encoded # or ? never re-splits it', async () => {
    const api = handler();
    const settings = new SettingsStore(database, new EventStore(database));
    const before = await settings.get('retention.failedMessageDays');
    for (const rawPath of [
      '/settings/retention.failedMessageDays#x',
      '/settings/retention.failedMessageDays?x=1',
    ]) {
      const put = await api(capturedEvent('PUT', rawPath, { body: JSON.stringify({ value: before + 7 }) }));
      expect(put.statusCode, `${rawPath}: ${put.body}`).toBe(404);
      expect(put.headers?.['content-type']).toContain('application/problem+json');
    }
    expect(await settings.get('retention.failedMessageDays')).toBe(before);
    const ok = await api(
      capturedEvent('PUT', '/settings/retention.failedMessageDays', {
        body: JSON.stringify({ value: before }),
      }),
    );
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('states the body’s real length, whatever the client declared, so the 64 KB limit holds without a stream', async () => {
    const body = JSON.stringify({ prompt: 'a lighthouse at dusk — 灯台' });
    // The captured event declares no Content-Length (as HTTP/2 and chunked clients send none).
    const declared: Record<string, string>[] = [
      {},
      { 'transfer-encoding': 'chunked' },
      { 'content-length': '3' },
    ];
    for (const headers of declared) {
      const request = requestFromEvent(capturedEvent('POST', '/generations', { body, headers }));
      expect(request.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
      expect(request.headers.get('transfer-encoding')).toBeNull();
      expect(await request.text()).toBe(body);
    }
    const api = handler();
    const created = await api(capturedEvent('POST', '/generations', { body }));
    expect(created.statusCode, created.body).toBe(202);
    const big = JSON.stringify({ prompt: 'x'.repeat(70_000) });
    for (const headers of declared) {
      const res = await api(capturedEvent('POST', '/generations', { body: big, headers }));
      expect(res.statusCode, res.body).toBe(413);
    }
  });

  it('accepts header values above U+00FF (CJK user-agent, x-title: €)', async () => {
    const api = handler();
    const res = await api(
      capturedEvent('GET', '/generations', {
        headers: { 'user-agent': 'クライアント/1.0 (测试)', 'x-title': '€' },
      }),
    );
    expect(res.statusCode, res.body).toBe(200);
  });

  it('answers an event without requestContext.http with problem+json and a log line', async () => {
    const api = handler();
    const event = capturedEvent('GET', '/health') as unknown as { requestContext: Record<string, unknown> };
    delete event.requestContext.http;
    lines.length = 0;
    const res = await api(event as unknown as APIGatewayProxyEventV2);
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body!)).toMatchObject({
      status: 400,
      detail: expect.stringContaining('payload 2.0'),
    });
    expect(lines.some((l) => l.includes('unusable API Gateway event'))).toBe(true);

    const notEvenAnObject = await api({} as APIGatewayProxyEventV2);
    expect(notEvenAnObject.statusCode).toBe(400);
  });
});

describe('the dead-letter handler with captured SQS events (point 4)', () => {
  it('fails only the record that lacks attributes or eventSourceARN', async () => {
    const store = new FailedMessageStore(database, new EventStore(database));
    const lines: MetricLine[] = [];
    const handler = createDeadLetterHandler({
      deps: async () => ({ ...deadLetterDeps(database, {}, (l) => lines.push(l)), logger: silent }),
    });
    const event = fixture<SQSEvent>('sqs-event.json');
    const [withAttributes, second] = event.Records as [SQSEvent['Records'][0], SQSEvent['Records'][0]];
    const good = { ...withAttributes, messageId: crypto.randomUUID(), body: JSON.stringify(message()) };
    const noAttributes = { ...second, messageId: crypto.randomUUID() } as Record<string, unknown>;
    delete noAttributes.attributes;
    const noArn = {
      ...fixture<SQSEvent>('sqs-receive-message.json').Records[0]!,
      messageId: crypto.randomUUID(),
    };
    delete (noArn as Record<string, unknown>).eventSourceARN;

    const result = await handler({ Records: [good, noAttributes, noArn] as SQSEvent['Records'] });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [noAttributes.messageId as string, noArn.messageId].sort(),
    );
    const stored = await store.list(
      { statuses: [...FAILED_MESSAGE_STATUSES] },
      { field: 'lastFailedAt', descending: true },
      50,
    );
    expect(stored.items).toHaveLength(1);
    // One metric line per stored dead-lettering; none for the records that failed.
    expect(lines).toEqual([
      expect.objectContaining({
        dimensions: { model: 'sdxl' },
        metrics: { DeadLettered: { value: 1, unit: 'Count' } },
      }),
    ]);
    expect(JSON.stringify(stored.items[0])).toContain(JSON.parse(good.body).generationId);
  });
});

describe('metrics (CloudWatch embedded metric format)', () => {
  it('one line per generation outcome: count and duration by model and outcome', async () => {
    const lines: MetricLine[] = [];
    let fail = true;
    const generator = meteredGenerator(
      {
        name: 'test',
        async generate() {
          await new Promise((r) => setTimeout(r, 20));
          if (fail) throw new TypeError('backend down');
          return { outputs: [] };
        },
      },
      (l) => lines.push(l),
      modelDimensions(new SettingsStore(database, new EventStore(database))),
    );
    const job = {
      generationId: crypto.randomUUID(),
      attempt: 1,
      request: { ...message().request, model: 'sdxl' },
    };
    await expect(generator.generate(job as never)).rejects.toThrow('backend down');
    fail = false;
    await generator.generate({ ...job, attempt: 2 } as never);
    expect(lines.map((l) => l.dimensions)).toEqual([
      { model: 'sdxl', outcome: 'failed' },
      { model: 'sdxl', outcome: 'completed' },
    ]);
    expect(lines[0]!.properties).toMatchObject({ errorType: 'TypeError', attempt: 1 });
    expect(lines[1]!.metrics.GenerationDuration!.value).toBeGreaterThanOrEqual(15);

    const doc = emfDocument(lines[1]!, 1_700_000_000_000) as Record<string, any>;
    expect(doc._aws).toEqual({
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'genledger',
          Dimensions: [['model', 'outcome']],
          Metrics: [
            { Name: 'Generations', Unit: 'Count' },
            { Name: 'GenerationDuration', Unit: 'Milliseconds' },
          ],
        },
      ],
    });
    expect(doc).toMatchObject({ model: 'sdxl', outcome: 'completed', Generations: 1, attempt: 2 });
  });

  it('one line per retry-batch step and per completed batch', async () => {
    const lines: MetricLine[] = [];
    const calls: string[] = [];
    const store = meteredRetryBatches(
      {
        async recordProgress(id: string, _sent: readonly string[], _failed: number, _error: string | null) {
          calls.push(`progress ${id}`);
        },
        async complete(id: string) {
          calls.push(`complete ${id}`);
        },
      },
      (l) => lines.push(l),
    );
    await store.recordProgress('b1', ['m1', 'm2'], 1, 'throttled');
    await store.complete('b1');
    expect(calls).toEqual(['progress b1', 'complete b1']);
    expect(lines.map((l) => l.metrics)).toEqual([
      { RetryMessagesSent: { value: 2, unit: 'Count' }, RetrySendFailures: { value: 1, unit: 'Count' } },
      { RetryBatchesCompleted: { value: 1, unit: 'Count' } },
    ]);
  });
});
