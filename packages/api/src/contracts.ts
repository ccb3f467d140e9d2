import { DomainEvent } from '@genledger/core/contracts/events';
import {
  GENERATION_SORTS,
  GENERATION_STATUSES,
  GenerationRecord,
  GenerationRequest,
  GenerationRequestBody,
  RUN_STATUSES,
} from '@genledger/core/contracts/generation';
import { MAX_API_KEY_NAME_LENGTH, MAX_MODEL_LENGTH } from '@genledger/core/contracts/limits';
import { GenerationOutputView } from '@genledger/core/contracts/outputs';
import { jsonValue, text, timestamp } from '@genledger/core/contracts/storable';
import * as z from 'zod';
import { pageCursor, pageLimit } from './paging.ts';

/**
 * The HTTP contracts beyond core's: query strings, path parameters and response bodies. Routes
 * validate with these and the OpenAPI document is generated from them — one source of truth.
 */
const isoDateTime = timestamp();
const isoOut = z.iso.datetime();

export const IdParam = z.object({ id: text().describe('a UUID') });

export const ListGenerationsQuery = z.strictObject({
  status: z
    .array(z.enum(GENERATION_STATUSES))
    .max(5)
    .optional()
    .describe('one or several statuses: repeat the parameter or separate with commas'),
  model: text().min(1).max(MAX_MODEL_LENGTH).optional(),
  from: isoDateTime.optional().describe('created at or after (inclusive)'),
  to: isoDateTime.optional().describe('created before (exclusive)'),
  q: text().min(1).max(500).optional().describe('full-text search over name and prompt (web search syntax)'),
  sort: z.enum(GENERATION_SORTS).default('-createdAt'),
  limit: pageLimit,
  cursor: pageCursor.optional().describe('nextCursor of the previous page'),
});
/** Query parameters that may repeat, as arrays; the others keep their first value. */
export const ARRAY_QUERY_PARAMS = new Set(['status']);

/**
 * A generation as the API answers it: its outputs as signed, expiring links (fresh on every
 * answer), and the two path fields of the previous contract kept for one release.
 */
export const GenerationBody = GenerationRecord.extend({
  outputs: z
    .array(GenerationOutputView)
    .describe('what the generation produced, in order; each url is signed and expires (OUTPUT_URL_TTL_S)'),
  outputPath: z
    .string()
    .nullable()
    .meta({ deprecated: true })
    .describe('deprecated: outputs[0].url (a signed link); removed in the next release'),
  thumbnailPath: z
    .string()
    .nullable()
    .meta({ deprecated: true })
    .describe('deprecated: always null (no thumbnails are made); removed in the next release'),
});

export const GenerationPage = z.object({
  items: z.array(GenerationBody),
  nextCursor: z.string().nullable(),
});

export const GenerationRun = z.object({
  id: z.int(),
  generationId: z.uuid(),
  attempt: z.int(),
  messageId: z.string().nullable(),
  receiveCount: z.int().nullable(),
  status: z.enum(RUN_STATUSES),
  startedAt: isoOut,
  completedAt: isoOut.nullable(),
  durationMs: z.int().nullable(),
  errorType: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorStack: z.string().nullable(),
  backendId: z
    .string()
    .nullable()
    .describe("The asynchronous backend's job id (Cog prediction, ComfyUI prompt, Replicate prediction)"),
  deadlineAt: isoOut.nullable().describe('When an attempt with no outcome counts as a transient failure'),
  submittedAt: isoOut.nullable(),
  reportedAt: isoOut.nullable().describe("When the backend's outcome arrived (callback or poll)"),
  backendMetrics: z
    .object({ predictTimeS: z.number().optional() })
    .nullable()
    .describe('What the backend measured: `predictTimeS`, seconds the model ran'),
});
export const GenerationRuns = z.object({ items: z.array(GenerationRun) });

export const StoredEventBody = z.object({
  sequence: z.int(),
  streamId: z.string(),
  streamVersion: z.int(),
  type: z.string(),
  version: z.int(),
  event: DomainEvent,
  metadata: z.record(z.string(), z.unknown()),
  storedAt: isoOut,
});
export const EventList = z.object({ items: z.array(StoredEventBody) });

export const EventFeedQuery = z.strictObject({
  after: z.coerce
    .number()
    .int()
    .min(0)
    .default(0)
    .describe("an event's sequence number, such as a `next` this feed returned; 0 from the start"),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const EventFeed = z.object({
  items: z.array(StoredEventBody),
  next: z.int().describe('pass as `after` for the following page (equal to `after` when nothing new)'),
});

export const CreateApiKeyBody = z.strictObject({
  name: text().min(1).max(MAX_API_KEY_NAME_LENGTH),
  isAdmin: z.boolean().default(false),
  rateLimit: z.int().min(1).max(1_000_000).default(100).describe('requests per minute'),
  expiresAt: isoDateTime.nullable().optional(),
});
export const ApiKeyBody = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  isAdmin: z.boolean(),
  rateLimit: z.int(),
  createdAt: isoOut,
  lastUsedAt: isoOut.nullable(),
  expiresAt: isoOut.nullable(),
  revokedAt: isoOut.nullable(),
});
export const CreatedApiKey = ApiKeyBody.extend({
  key: z.string().describe('the plaintext key: shown once, never stored'),
});
export const ApiKeyList = z.object({ items: z.array(ApiKeyBody) });

export const SettingBody = z.object({
  key: z.string(),
  value: z.unknown(),
  isDefault: z.boolean(),
  description: z.string(),
  updatedAt: isoOut.nullable(),
});
export const SettingList = z.object({ items: z.array(SettingBody) });
export const PutSettingBody = z.strictObject({
  value: jsonValue().describe("any JSON value; checked against the setting's own schema"),
});

const HealthCheck = z.object({
  status: z.enum(['Healthy', 'Degraded', 'Unhealthy']),
  detail: z.string(),
  durationMs: z.number().optional(),
});
export const HealthBody = z.object({
  status: z.enum(['Healthy', 'Degraded', 'Unhealthy']),
  checks: z.object({ database: HealthCheck, schema: HealthCheck }),
});

export { GenerationRequest, GenerationRequestBody };
