import { DomainEvent } from '@genledger/core/contracts/events';
import {
  BulkOutcome,
  FailedMessageDetail,
  FailedMessageSummary,
  FailureGroup,
  RetryBatch,
} from '@genledger/core/contracts/failed-messages';
import {
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from '@genledger/core/contracts/webhooks';
import * as z from 'zod';
import {
  ApiKeyBody,
  CreatedApiKey,
  GenerationBody,
  GenerationRequestBody,
  GenerationRun,
  HealthBody,
  SettingBody,
  StoredEventBody,
} from './contracts.ts';
import { Problem } from './problem.ts';

/**
 * The resources the document names under `components.schemas`, so that a generated client exports
 * their types (`Generation`, not an inline shape repeated per route). Responses are rendered as
 * output, the one request body named here as input; a route's schema that contains one of them
 * refers to it.
 */
export const NAMED_SCHEMAS: readonly { name: string; schema: z.ZodType; io: 'input' | 'output' }[] = [
  { name: 'Problem', schema: Problem, io: 'output' },
  { name: 'HealthReport', schema: HealthBody, io: 'output' },
  { name: 'Generation', schema: GenerationBody, io: 'output' },
  { name: 'GenerationRequest', schema: GenerationRequestBody, io: 'input' },
  { name: 'GenerationRun', schema: GenerationRun, io: 'output' },
  { name: 'Event', schema: StoredEventBody, io: 'output' },
  { name: 'DomainEvent', schema: DomainEvent, io: 'output' },
  { name: 'ApiKey', schema: ApiKeyBody, io: 'output' },
  { name: 'CreatedApiKey', schema: CreatedApiKey, io: 'output' },
  { name: 'Setting', schema: SettingBody, io: 'output' },
  { name: 'FailedMessage', schema: FailedMessageSummary, io: 'output' },
  { name: 'FailedMessageDetail', schema: FailedMessageDetail, io: 'output' },
  { name: 'FailureGroup', schema: FailureGroup, io: 'output' },
  { name: 'RetryBatch', schema: RetryBatch, io: 'output' },
  { name: 'BulkOutcome', schema: BulkOutcome, io: 'output' },
  { name: 'WebhookEndpoint', schema: WebhookEndpoint, io: 'output' },
  { name: 'WebhookEndpointWithSecret', schema: WebhookEndpointWithSecret, io: 'output' },
  { name: 'WebhookDelivery', schema: WebhookDelivery, io: 'output' },
];

const seconds = z.int().min(0);

/** The headers the API's middlewares send, as `components.headers`. */
export const COMMON_HEADERS: Record<string, { description: string; schema: z.ZodType }> = {
  'X-Request-Id': {
    description: "The request's id: the client's own when it sent a sane one; in every log line and problem",
    schema: z.string(),
  },
  'RateLimit-Limit': { description: "The key's requests per minute", schema: z.int().min(0) },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: z.int().min(0) },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: seconds },
  'RateLimit-Policy': { description: '`<limit>;w=60`', schema: z.string() },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: seconds },
  'WWW-Authenticate': { description: '`Bearer realm="genledger"`', schema: z.string() },
};

const RATE_LIMIT = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'RateLimit-Policy'];

/**
 * Which of the common headers a status of a route carries, and whether always. The key's check
 * sets RateLimit-* before anything can refuse the request, so every answer after it carries them:
 * always for a success, a 403 or a 429; sometimes for the statuses that can also come before the
 * check (a 503 from the schema gate, a 400 from a path no key reaches). A 401 and a 413 never do.
 */
export function commonHeadersOf(access: 'public' | 'key' | 'admin', status: number) {
  const headers: { name: string; required: boolean }[] = [{ name: 'X-Request-Id', required: true }];
  if (access !== 'public' && status !== 401 && status !== 413) {
    const always = status < 400 || status === 403 || status === 429;
    for (const name of RATE_LIMIT) headers.push({ name, required: always });
  }
  // Every 401 says how to authenticate, the callback's bad signature included.
  if (status === 401) headers.push({ name: 'WWW-Authenticate', required: true });
  if (status === 429) headers.push({ name: 'Retry-After', required: true });
  if (status === 503) headers.push({ name: 'Retry-After', required: false });
  return headers;
}
