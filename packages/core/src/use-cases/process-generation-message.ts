import { type GenerationRecord, requestOf } from '../contracts/generation.ts';
import {
  type GenerationRequestedMessage,
  generationRequested,
  parseQueueMessage,
} from '../contracts/queue-message.ts';
import { safeMessage, stackFrames } from '../error-summary.ts';
import type { GenerationLifecyclePort, StartOutcome } from '../ports/generation-lifecycle.ts';
import type { GenerationRepository } from '../ports/generation-repository.ts';
import { type Generator, GeneratorError, isPermanent } from '../ports/generator.ts';
import type { Logger } from '../ports/logger.ts';
import { requestHash } from '../request-hash.ts';
import { pollAttempt } from './backend/poll-attempt.ts';
import { isBackpressure, type SubmitDeps, submitAttempt } from './backend/submit-attempt.ts';
import { type DefaultModel, withDefaultModel } from './default-model.ts';
import { type DiscardOutputsDeps, discardUnrecordedOutputs } from './discard-unrecorded-outputs.ts';
import { type KeepOutputsDeps, keepOutputs } from './keep-outputs.ts';
import { recordGeneration } from './record-generation.ts';

/** One delivery as the worker sees it, whatever the transport (SQS or the local queue). */
export interface IncomingMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  queue: string;
  /** The delivery's receipt: an attempt at an asynchronous backend holds it until its deadline. */
  receiptHandle?: string;
}

type ParsedMessage = Extract<ReturnType<typeof parseQueueMessage>, { ok: true }>['message'];

export interface InvalidMessage {
  message: IncomingMessage;
  generationId: string | null;
  reason: string;
}

export interface ProcessMessageDeps {
  lifecycle: GenerationLifecyclePort;
  generations: Pick<GenerationRepository, 'create'>;
  generator: Generator;
  /** Where what the generator produced is kept before the generation completes. */
  outputs: KeepOutputsDeps;
  logger: Logger;
  /** A running attempt older than this is presumed dead and taken over (≥ the worker's timeout). */
  staleAfterMs: number;
  /** Where a message that can never succeed is recorded (the failed-message store). */
  onInvalidMessage?: (invalid: InvalidMessage) => Promise<void>;
  /** An asynchronous backend (docs/backends.md): attempts are submitted to it instead of `generator`. */
  backend?: SubmitDeps;
  /** Seconds a generation waits after the backend answered busy (backpressure). */
  backpressureDelayS?: number;
  /** The model of a producer's request that names none (the `generation.defaultModel` setting). */
  defaultModel?: DefaultModel;
}

export type ProcessOutcome =
  | { status: 'completed'; generationId: string; attempt: number }
  | { status: 'failed'; generationId: string; attempt: number; error: string }
  | { status: 'skipped'; generationId: string; reason: string }
  /** Handed to an asynchronous backend: the delivery stays in flight until the attempt's deadline. */
  | { status: 'submitted'; generationId: string; attempt: number; held: boolean }
  /** The backend was busy: a fresh message comes back later, this one is done with. */
  | { status: 'deferred'; generationId: string; attempt: number }
  | { status: 'polled'; generationId: string; attempt: number; settled: string }
  | { status: 'invalid'; generationId: string | null; reason: string };

/** Thrown to hand a message back to the queue (SQS redelivers it after the visibility timeout). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly generationId: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryLater';
  }
}

function describe(e: unknown) {
  if (e instanceof GeneratorError) return { type: e.errorType, message: e.message, stack: e.stack ?? null };
  if (e instanceof Error) {
    // Recorded on the run and logged: a database error's message would quote the SQL parameters.
    const type = e.name || 'Error';
    const message = safeMessage(e);
    const frames = stackFrames(e);
    return { type, message, stack: frames ? `${type}: ${message}\n${frames}` : null };
  }
  return { type: 'Error', message: String(e), stack: null };
}

/**
 * Runs one generation message. Idempotent under at-least-once delivery: every state change is a
 * guarded statement, so duplicates and racing workers change nothing twice. Resolves when the
 * message is done with (acknowledge it); throws RetryLater when SQS should deliver it again.
 */
export async function processGenerationMessage(
  deps: ProcessMessageDeps,
  incoming: IncomingMessage,
): Promise<ProcessOutcome> {
  const parsed = parseQueueMessage(incoming.body);
  if (!parsed.ok) return recordInvalid(deps, incoming, parsed);
  if (parsed.message.type === 'generation.poll') return processPoll(deps, parsed.message);
  const { message } = parsed;
  const generationId = message.generationId;
  const metadata = { messageId: incoming.messageId, receiveCount: incoming.receiveCount };
  const start = await startAttempt(deps, incoming, message, metadata);
  if (!('outcome' in start)) return start;
  if (start.outcome === 'missing')
    throw new RetryLater(`generation ${generationId} could not be created`, generationId);
  if (start.outcome === 'skipped') {
    // Another live worker holds it: hand the message back; by its next delivery that attempt has
    // finished (or gone stale and is taken over). Finished generations are simply acknowledged.
    if (start.status === 'running') throw new RetryLater(start.reason, generationId);
    return { status: 'skipped', generationId, reason: start.reason };
  }
  if (deps.backend) return submitToBackend(deps, deps.backend, start.generation, start.attempt, incoming);
  return runAttempt(deps, start.generation, start.attempt, metadata);
}

async function processPoll(
  deps: ProcessMessageDeps,
  poll: Extract<ParsedMessage, { type: 'generation.poll' }>,
): Promise<ProcessOutcome> {
  const ref = { generationId: poll.generationId, attempt: poll.attempt };
  if (!deps.backend) {
    deps.logger.warn('poll reminder without an asynchronous backend configured: dropped', ref);
    return { status: 'skipped', generationId: poll.generationId, reason: 'no asynchronous backend' };
  }
  const result = await pollAttempt(deps.backend, poll);
  return { status: 'polled', ...ref, settled: result.settled };
}

/** One attempt handed to an asynchronous backend; the outcome arrives by callback or poll. */
async function submitToBackend(
  deps: ProcessMessageDeps,
  backend: SubmitDeps,
  generation: GenerationRecord,
  attempt: number,
  incoming: IncomingMessage,
): Promise<ProcessOutcome> {
  const generationId = generation.id;
  const began = performance.now();
  try {
    const result = await submitAttempt(backend, generation, attempt, incoming.receiptHandle);
    if (!result.submitted) return { status: 'skipped', generationId, reason: result.reason };
    return { status: 'submitted', generationId, attempt, held: incoming.receiptHandle !== undefined };
  } catch (e) {
    const durationMs = Math.round(performance.now() - began);
    const metadata = { messageId: incoming.messageId, receiveCount: incoming.receiveCount };
    if (!isBackpressure(e)) return recordFailedAttempt(deps, generation, attempt, e, durationMs, metadata);
    // A busy backend is not the request's failure: the attempt is closed as BackendBusy, and the
    // generation comes back in a fresh message, so busy rounds never count towards dead-lettering.
    const recorded = await deps.lifecycle.failAttempt({
      generationId,
      attempt,
      model: generation.model,
      error: { type: 'BackendBusy', message: e instanceof Error ? e.message : String(e) },
      durationMs,
      retriable: true,
      metadata,
    });
    if (!recorded) return { status: 'skipped', generationId, reason: 'cancelled or taken over meanwhile' };
    await backend.queue.sendLater(generationRequested(generation), deps.backpressureDelayS ?? 30);
    deps.logger.info('backend busy: generation deferred', { generationId, attempt });
    return { status: 'deferred', generationId, attempt };
  }
}

/** A message that would fail every retry: recorded now, and the queue may forget it. */
async function recordInvalid(
  deps: ProcessMessageDeps,
  incoming: IncomingMessage,
  parsed: { generationId: string | null; reason: string },
): Promise<ProcessOutcome> {
  const { generationId, reason } = parsed;
  if (generationId) await deps.lifecycle.failInvalid({ generationId, reason });
  await deps.onInvalidMessage?.({ message: incoming, generationId, reason });
  deps.logger.warn('invalid message', { messageId: incoming.messageId, generationId, reason });
  return { status: 'invalid', generationId, reason };
}

/**
 * Takes the generation for this delivery: a new attempt, or why not. A generation sent by a
 * producer without an HTTP call is first created from the message itself.
 */
async function startAttempt(
  deps: ProcessMessageDeps,
  incoming: IncomingMessage,
  message: GenerationRequestedMessage,
  metadata: Record<string, unknown>,
): Promise<StartOutcome | ProcessOutcome> {
  const generationId = message.generationId;
  const startInput = {
    generationId,
    messageId: incoming.messageId,
    receiveCount: incoming.receiveCount,
    staleAfterMs: deps.staleAfterMs,
    metadata,
  };
  const start = await deps.lifecycle.start(startInput);
  if (start.outcome !== 'missing') return start;
  const { generation } = await recordGeneration(deps.generations, {
    id: generationId,
    request: await withDefaultModel(message.request, sentRequest(incoming.body), deps.defaultModel),
    apiKeyId: null,
    idempotencyKey: message.idempotencyKey ?? null,
    requestHash: message.idempotencyKey ? requestHash(message.request) : null,
    source: 'queue',
    enqueued: true,
    metadata,
  });
  if (generation.id !== generationId) {
    return {
      status: 'skipped',
      generationId,
      reason: `idempotency key already used by generation ${generation.id}`,
    };
  }
  return deps.lifecycle.start(startInput);
}

/** The request as the producer wrote it (the body parsed before, so it is JSON). */
const sentRequest = (body: string): unknown => (JSON.parse(body) as { request?: unknown }).request;

/** One attempt at the backend, and its outcome recorded: completed, failed for good, or to retry. */
async function runAttempt(
  deps: ProcessMessageDeps,
  generation: GenerationRecord,
  attempt: number,
  metadata: Record<string, unknown>,
): Promise<ProcessOutcome> {
  const generationId = generation.id;
  const began = performance.now();
  // Every key keepOutputs writes: what goes if the attempt ends without recording it.
  const written: string[] = [];
  const discard = () => discardUnrecordedOutputs(discardDeps(deps), { generationId, attempt }, written);
  try {
    const output = await deps.generator.generate({ generationId, attempt, request: requestOf(generation) });
    const outputs = await keepOutputs(deps.outputs, generationId, attempt, output.outputs, written);
    const durationMs = Math.round(performance.now() - began);
    const done = await deps.lifecycle.complete({
      generationId,
      attempt,
      model: generation.model,
      outputs,
      promptId: output.promptId ?? null,
      durationMs,
      metadata,
    });
    if (!done) {
      await discard();
      return { status: 'skipped', generationId, reason: 'cancelled or taken over while generating' };
    }
    deps.logger.info('generation completed', {
      generationId,
      attempt,
      durationMs,
      generator: deps.generator.name,
    });
    return { status: 'completed', generationId, attempt };
  } catch (e) {
    if (e instanceof RetryLater) throw e;
    // Once the failure is recorded (or found already ended), the attempt can record nothing more.
    try {
      return await recordFailedAttempt(
        deps,
        generation,
        attempt,
        e,
        Math.round(performance.now() - began),
        metadata,
      );
    } finally {
      await discard();
    }
  }
}

const discardDeps = (deps: ProcessMessageDeps): DiscardOutputsDeps => ({
  lifecycle: deps.lifecycle,
  deleteOutputs: (keys) => deps.outputs.store.delete(keys),
  logger: deps.logger,
});

async function recordFailedAttempt(
  deps: ProcessMessageDeps,
  generation: GenerationRecord,
  attempt: number,
  e: unknown,
  durationMs: number,
  metadata: Record<string, unknown>,
): Promise<ProcessOutcome> {
  const generationId = generation.id;
  const retriable = !isPermanent(e);
  const error = describe(e);
  const recorded = await deps.lifecycle.failAttempt({
    generationId,
    attempt,
    model: generation.model,
    error,
    durationMs,
    retriable,
    metadata,
  });
  deps.logger.warn('generation attempt failed', {
    generationId,
    attempt,
    retriable,
    errorType: error.type,
    error: error.message,
  });
  if (!recorded)
    return { status: 'skipped', generationId, reason: 'cancelled or taken over while generating' };
  if (retriable)
    throw new RetryLater(`attempt ${attempt} failed: ${error.message}`, generationId, { cause: e });
  return { status: 'failed', generationId, attempt, error: error.message };
}
