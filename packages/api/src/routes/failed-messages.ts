import {
  BulkIdsBody,
  BulkOutcome,
  FAILED_MESSAGE_SORTS,
  FAILED_MESSAGE_STATUSES,
  FailedMessageDetail,
  type FailedMessageOperation,
  FailedMessageSummary,
  FailureGroup,
  MAX_PER_OPERATION,
  RetryBatch,
} from '@genledger/core/contracts/failed-messages';
import { canonicalId } from '@genledger/core/contracts/ids';
import { FAILED_MESSAGE_ID_LENGTH, FAILURE_GROUP_ID } from '@genledger/core/contracts/limits';
import { text, timestamp } from '@genledger/core/contracts/storable';
import { notFound } from '@genledger/core/errors';
import {
  changeFailedMessageStatus,
  type FailedMessageSelector,
} from '@genledger/core/use-cases/failed-messages/change-status';
import { processRetryBatch } from '@genledger/core/use-cases/failed-messages/process-retry-batch';
import * as z from 'zod';
import type { AppDeps } from '../deps.ts';
import { keysetPaging, pageCursor, pageLimit } from '../paging.ts';
import { type ResponseSpec, type RouteContext, type RouteSpec, route } from './define.ts';

const isoDateTime = timestamp();
/** How long a retry request re-sends before answering; maintenance continues the rest. */
const INLINE_RETRY_BUDGET_MS = 2_000;

const ListQuery = z.strictObject({
  status: z
    .array(z.enum(FAILED_MESSAGE_STATUSES))
    .max(4)
    .default(['unresolved'])
    .describe('default unresolved; repeat or comma-separate'),
  groupId: z.string().regex(FAILURE_GROUP_ID).optional(),
  q: text()
    .min(1)
    .max(500)
    .optional()
    .describe('full text over error, body and message type (web search syntax)'),
  from: isoDateTime.optional().describe('last failed at or after'),
  to: isoDateTime.optional().describe('last failed before'),
  sort: z.enum(FAILED_MESSAGE_SORTS).default('-lastFailedAt'),
  limit: pageLimit,
  cursor: pageCursor.optional(),
});
type ListQuery = z.output<typeof ListQuery>;
const Page = z.object({ items: z.array(FailedMessageSummary), nextCursor: z.string().nullable() });
const IdParam = z.object({ id: text().min(1).max(FAILED_MESSAGE_ID_LENGTH) });
const GroupOperationQuery = z.strictObject({
  after: text()
    .min(1)
    .max(FAILED_MESSAGE_ID_LENGTH)
    .transform(canonicalId)
    .optional()
    .describe(
      "the previous run's `next`: go on from there instead of walking the group from its first member",
    ),
});
const RetryAccepted = BulkOutcome.extend({ retryBatch: RetryBatch.nullable() });
/** Sort keys as Postgres text, ids as the messages' own. */
const failedMessagePages = keysetPaging({ key: z.string(), id: z.string() });

const listFailedMessages = route({
  method: 'get',
  path: '/failed-messages',
  operationId: 'listFailedMessages',
  summary: 'Failed messages: filters, full text, sort, keyset paging',
  tag: 'failed-messages',
  access: 'admin',
  query: ListQuery,
  responses: { 200: { description: 'One page; nextCursor is null on the last', schema: Page } },
  async handler(ctx: RouteContext<unknown, ListQuery, unknown>) {
    const q = ctx.query;
    const page = failedMessagePages(ctx.deps.cursors, q, [
      [...q.status].sort(),
      q.groupId ?? '',
      q.q ?? '',
      q.from ?? '',
      q.to ?? '',
    ]);
    const found = await ctx.deps.failedMessages.list(
      {
        statuses: q.status,
        groupId: q.groupId,
        q: q.q,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      },
      page.sort,
      page.limit,
      page.after,
    );
    return { status: 200, body: { items: found.items, nextCursor: page.nextCursor(found.next) } };
  },
});

const getFailedMessage = route({
  method: 'get',
  path: '/failed-messages/{id}',
  operationId: 'getFailedMessage',
  summary: 'A failed message with its body and every attempt',
  tag: 'failed-messages',
  access: 'admin',
  params: IdParam,
  responses: {
    200: { description: 'The message', schema: FailedMessageDetail },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const m = await ctx.deps.failedMessages.get(ctx.params.id);
    if (!m) throw notFound(`failed message ${ctx.params.id} not found`);
    return { status: 200, body: m };
  },
});

/** Retries start sending at once, within a short budget; what is left is continued by maintenance. */
async function startRetry(deps: AppDeps, batchId: string | null) {
  if (!batchId) return null;
  await processRetryBatch(
    {
      batches: deps.retryBatches,
      queue: deps.queue,
      ...(deps.webhooks?.queue ? { webhooks: deps.webhooks.queue } : {}),
      messagesPerSecond: await deps.settings.get('retry.messagesPerSecond'),
      deadline: Date.now() + INLINE_RETRY_BUDGET_MS,
    },
    batchId,
  );
  return (await deps.retryBatches.get(batchId)) ?? null;
}

const capitalized = (op: string) => `${op[0]!.toUpperCase()}${op.slice(1)}`;

function operationResponses(op: FailedMessageOperation): Record<number, ResponseSpec> {
  return op === 'retry'
    ? { 202: { description: 'Retry batch recorded; sending in progress', schema: RetryAccepted } }
    : { 200: { description: 'Changed', schema: BulkOutcome } };
}

/** By ids, all or nothing: an unknown id is a 404, an ineligible one a 409 naming why. */
const BULK_PROBLEMS: Record<number, ResponseSpec> = {
  404: { description: 'An id names no failed message; nothing changed' },
  409: { description: 'A message is not eligible for this operation (the detail says why); nothing changed' },
};
/** By group, ineligible members are skipped and counted, so only a group that does not exist refuses. */
const GROUP_PROBLEMS: Record<number, ResponseSpec> = {
  404: { description: 'No such failure group' },
};

/** Runs one operation over a selection; a retry also starts sending its batch. */
async function applyOperation(
  ctx: RouteContext<unknown, unknown, unknown>,
  op: FailedMessageOperation,
  selection: FailedMessageSelector,
  after?: string,
) {
  const outcome = await changeFailedMessageStatus(ctx.deps, op, selection, {
    requestedBy: ctx.principal?.apiKeyId ?? null,
    metadata: ctx.metadata,
    ...(after ? { after } : {}),
  });
  const { retryBatchId, ...counts } = outcome;
  if (op !== 'retry') return { status: 200, body: counts };
  return { status: 202, body: { ...counts, retryBatch: await startRetry(ctx.deps, retryBatchId) } };
}

function bulkRoute(op: FailedMessageOperation): RouteSpec {
  return route({
    method: 'post',
    path: `/failed-messages/${op}`,
    operationId: `${op}FailedMessages`,
    summary: `${capitalized(op)} failed messages by id (all or nothing: an ineligible one is a 409)`,
    tag: 'failed-messages',
    access: 'admin',
    body: BulkIdsBody,
    responses: { ...operationResponses(op), ...BULK_PROBLEMS },
    handler: (ctx) => applyOperation(ctx, op, { ids: ctx.body.ids }),
  }) as RouteSpec;
}

function groupRoute(op: 'retry' | 'archive' | 'unarchive'): RouteSpec {
  return route({
    method: 'post',
    path: `/failure-groups/{id}/${op}`,
    operationId: `${op}FailureGroup`,
    summary: `${capitalized(op)} the eligible messages of a group, up to ${MAX_PER_OPERATION} at a time (\`more\` says some are left, \`next\` where the next run goes on); the others are skipped and counted`,
    tag: 'failed-messages',
    access: 'admin',
    params: IdParam,
    query: GroupOperationQuery,
    responses: { ...operationResponses(op), ...GROUP_PROBLEMS },
    handler: (ctx) => applyOperation(ctx, op, { groupId: ctx.params.id }, ctx.query.after),
  }) as RouteSpec;
}

const listFailureGroups = route({
  method: 'get',
  path: '/failure-groups',
  operationId: 'listFailureGroups',
  summary: 'Failure groups with counts (archived messages excluded) and first/last failure',
  tag: 'failed-messages',
  access: 'admin',
  responses: { 200: { description: 'Groups', schema: z.object({ items: z.array(FailureGroup) }) } },
  async handler(ctx) {
    return { status: 200, body: { items: await ctx.deps.failedMessages.groups() } };
  },
});

const listRetryBatches = route({
  method: 'get',
  path: '/retry-batches',
  operationId: 'listRetryBatches',
  summary: 'Retry history with progress, newest first',
  tag: 'failed-messages',
  access: 'admin',
  responses: { 200: { description: 'Retry batches', schema: z.object({ items: z.array(RetryBatch) }) } },
  async handler(ctx) {
    return { status: 200, body: { items: await ctx.deps.retryBatches.list(100) } };
  },
});

export const failedMessageRoutes: RouteSpec[] = [
  listFailedMessages as RouteSpec,
  getFailedMessage as RouteSpec,
  bulkRoute('retry'),
  bulkRoute('archive'),
  bulkRoute('unarchive'),
  bulkRoute('resolve'),
  listFailureGroups as RouteSpec,
  groupRoute('retry'),
  groupRoute('archive'),
  groupRoute('unarchive'),
  listRetryBatches as RouteSpec,
];
