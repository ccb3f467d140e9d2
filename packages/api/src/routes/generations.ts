import { streams } from '@genledger/core/contracts/events';
import { IdempotencyKey } from '@genledger/core/contracts/idempotency-key';
import { errorFields } from '@genledger/core/error-summary';
import { notFound, validationError } from '@genledger/core/errors';
import type { NewGeneration } from '@genledger/core/ports/generation-repository';
import type { GenerationFilter } from '@genledger/core/ports/generations';
import { cancelGeneration as cancel } from '@genledger/core/use-cases/cancel-generation';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import { submitGeneration } from '@genledger/core/use-cases/submit-generation';
import * as z from 'zod';
import {
  EventList,
  GenerationBody,
  GenerationPage,
  GenerationRequestBody,
  GenerationRuns,
  IdParam,
  ListGenerationsQuery,
} from '../contracts.ts';
import type { AppDeps } from '../deps.ts';
import { keysetPaging } from '../paging.ts';
import { route } from './define.ts';
import { isUuid } from './is-uuid.ts';
import { eventBody, generationBody, runBody } from './serialize.ts';
import { refusedWebhookUrl } from './webhooks.ts';

/** An id that is not a UUID cannot exist: 404, like any id the caller may not see. */
function generationId(id: string): string {
  if (!isUuid(id)) throw notFound(`generation ${id} not found`);
  return id;
}

/** The cancel's webhook deliveries on their way now; if that fails, maintenance sends them. */
async function sendCancelledWebhooks(deps: AppDeps, generationId: string) {
  const hooks = deps.webhooks;
  if (!hooks?.queue) return;
  await sendWebhookDeliveries(
    { deliveries: hooks.deliveries, queue: hooks.queue },
    { generationIds: [generationId] },
  ).catch((e: unknown) => deps.logger.warn('webhook deliveries not sent; maintenance will', errorFields(e)));
}

const createGeneration = route({
  method: 'post',
  path: '/generations',
  operationId: 'createGeneration',
  summary: 'Submit a generation request',
  tag: 'generations',
  access: 'key',
  keyInStatement: true,
  body: GenerationRequestBody,
  requestHeaders: [
    {
      name: 'Idempotency-Key',
      description:
        'Same key and body: the original generation is returned. Same key, other body: 409. UTF-8 text, 1 to 255 characters (printable ASCII is the portable choice).',
      schema: IdempotencyKey,
    },
  ],
  responses: {
    202: {
      description: 'Accepted: the generation, pending (or the original one for a repeated Idempotency-Key)',
      schema: GenerationBody,
      headers: {
        Location: { description: "The generation's URL", schema: z.string() },
        'Idempotent-Replayed': {
          description: 'The original generation of a repeated Idempotency-Key, not a new one',
          schema: z.literal('true'),
          required: false,
        },
      },
    },
    409: { description: 'Idempotency-Key already used with another body' },
  },
  async handler(ctx) {
    const key = ctx.key!;
    const refused = ctx.body.webhook
      ? await refusedWebhookUrl(ctx.deps, ctx.body.webhook, 'webhook')
      : undefined;
    if (refused) {
      // As for any bad input: 401, 429 and 403 come before the 400.
      await key.authenticate();
      throw refused;
    }
    // The use case's repository, for this caller: its insert carries the key check (one round trip).
    const generations = {
      create: async (input: NewGeneration) => {
        const { principal, created } = await ctx.deps.generations.createAs(input, key.gate);
        key.accept(principal);
        return created!;
      },
      markNotEnqueued: (ids: readonly string[]) => ctx.deps.generations.markNotEnqueued(ids),
    };
    const { generation, created } = await submitGeneration(
      { generations, queue: ctx.deps.queue, logger: ctx.deps.logger, defaultModel: ctx.deps.defaultModel },
      {
        validBody: ctx.body,
        apiKeyId: null, // the statement takes the owner from the key it checks
        idempotencyKey: ctx.headers['idempotency-key'] ?? null,
        metadata: ctx.metadata,
      },
    );
    return {
      status: 202,
      body: await generationBody(generation, ctx.deps.outputs),
      headers: {
        Location: `/generations/${generation.id}`,
        ...(created ? {} : { 'Idempotent-Replayed': 'true' }),
      },
    };
  },
});

const getGeneration = route({
  method: 'get',
  path: '/generations/{id}',
  operationId: 'getGeneration',
  summary: 'One generation (own, or any for an admin key)',
  tag: 'generations',
  access: 'key',
  keyInStatement: true,
  params: IdParam,
  responses: {
    200: { description: 'The generation', schema: GenerationBody },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const key = ctx.key!;
    if (!isUuid(ctx.params.id)) {
      await key.authenticate();
      throw notFound(`generation ${ctx.params.id} not found`);
    }
    const { principal, generation: g } = await ctx.deps.generations.getAs(ctx.params.id, key.gate);
    key.accept(principal);
    if (!g) throw notFound(`generation ${ctx.params.id} not found`);
    return { status: 200, body: await generationBody(g, ctx.deps.outputs) };
  },
});

const cancelGeneration = route({
  method: 'post',
  path: '/generations/{id}/cancel',
  operationId: 'cancelGeneration',
  summary: 'Cancel a pending or running generation',
  tag: 'generations',
  access: 'key',
  params: IdParam,
  responses: {
    200: { description: 'Cancelled', schema: GenerationBody },
    404: { description: 'Not found' },
    409: { description: 'Already finished' },
  },
  async handler(ctx) {
    const g = await cancel(ctx.deps, {
      id: generationId(ctx.params.id),
      owner: ctx.owner,
      metadata: ctx.metadata,
    });
    await sendCancelledWebhooks(ctx.deps, g.id);
    return { status: 200, body: await generationBody(g, ctx.deps.outputs) };
  },
});

const generationRuns = route({
  method: 'get',
  path: '/generations/{id}/runs',
  operationId: 'listGenerationRuns',
  summary: 'The run journal: one entry per processing attempt',
  tag: 'generations',
  access: 'key',
  params: IdParam,
  responses: {
    200: { description: 'Runs in attempt order', schema: GenerationRuns },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = generationId(ctx.params.id);
    const runs = await ctx.deps.queries.runs(id, ctx.owner);
    if (!runs) throw notFound(`generation ${id} not found`);
    return { status: 200, body: { items: runs.map(runBody) } };
  },
});

const generationEvents = route({
  method: 'get',
  path: '/generations/{id}/events',
  operationId: 'listGenerationEvents',
  summary: "The generation's event stream",
  tag: 'generations',
  access: 'key',
  params: IdParam,
  responses: {
    200: { description: 'Events in stream order', schema: EventList },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = generationId(ctx.params.id);
    // Ownership first: another key's stream is as invisible as its generation.
    const g = await ctx.deps.generations.get(id, ctx.owner);
    if (!g) throw notFound(`generation ${id} not found`);
    const events = await ctx.deps.events.readStream(streams.generation(id));
    return { status: 200, body: { items: events.map(eventBody) } };
  },
});

/** Sort keys as Postgres text (nullable sorts have nulls), ids as UUIDs. */
const generationPages = keysetPaging({ key: z.string().nullable(), id: z.uuid() });

const listGenerations = route({
  method: 'get',
  path: '/generations',
  operationId: 'listGenerations',
  summary: 'Generations (own, or all for an admin key): filters, full text, sort, keyset paging',
  tag: 'generations',
  access: 'key',
  query: ListGenerationsQuery,
  responses: { 200: { description: 'One page; nextCursor is null on the last', schema: GenerationPage } },
  async handler(ctx) {
    const q = ctx.query;
    if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to)) {
      throw validationError('from must not be after to', [
        { field: 'from', message: 'must not be after to' },
      ]);
    }
    const page = generationPages(ctx.deps.cursors, q, [
      [...(q.status ?? [])].sort().join(','),
      q.model ?? '',
      q.from ?? '',
      q.to ?? '',
      q.q ?? '',
    ]);
    const filter: GenerationFilter = {
      statuses: q.status,
      model: q.model,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      q: q.q,
    };
    const found = await ctx.deps.queries.list(ctx.owner, filter, page.sort, page.limit, page.after);
    const items = await Promise.all(found.items.map((g) => generationBody(g, ctx.deps.outputs)));
    return { status: 200, body: { items, nextCursor: page.nextCursor(found.next) } };
  },
});

export const generationRoutes = [
  createGeneration,
  listGenerations,
  getGeneration,
  cancelGeneration,
  generationRuns,
  generationEvents,
];
