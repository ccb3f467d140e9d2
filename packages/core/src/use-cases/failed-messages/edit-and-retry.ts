import type { FailedMessageStatus } from '../../contracts/failed-messages.ts';
import type { GenerationStatus } from '../../contracts/generation.ts';
import {
  MAX_EDIT_REASON_LENGTH,
  MAX_EDIT_VALUE_LENGTH,
  type MessageFieldChange,
} from '../../contracts/message-edit.ts';
import { GenerationRequestedMessage, MESSAGE_TYPE } from '../../contracts/queue-message.ts';
import { isStorableString } from '../../contracts/storable.ts';
import { conflict, fieldErrorsFromZod, notFound, validationError } from '../../errors.ts';

/** The failed message an edit starts from, locked by the store. */
export interface EditCandidate {
  id: string;
  status: FailedMessageStatus;
  invalid: boolean;
  messageType: string;
  /** The generation the stored body named, when it could be read. */
  generationId: string | null;
  body: string;
}

/** The edited message's generation as the store found it (locked), when it exists. */
export interface EditedGeneration {
  id: string;
  status: GenerationStatus;
  idempotencyKey: string | null;
}

/** What the store writes for an edit, as the use case decided it. */
export interface EditPlan {
  generationId: string;
  changes: MessageFieldChange[];
  /** The body the retry sends (and any later retry of the message): the edited message. */
  retryBody: string;
  /** The edited request, written onto the generation when it exists (the worker reads it there). */
  message: GenerationRequestedMessage;
}

/**
 * What the store does for an edit, in one transaction: lock the message, then the generation the
 * edit names; ask `plan`; then record a retry batch of that one message with the edit in its
 * selector, keep `retryBody` as what retries send (the stored body stays as it failed), move the
 * message to retry_issued, write the edited request onto a failed generation and move it back to
 * pending, each with its event, and a FailedMessageEdited event with the changes and the reason.
 */
export interface FailedMessageEdits {
  editForRetry(
    edit: { id: string; generationId: string },
    plan: (candidate: EditCandidate | undefined, generation: EditedGeneration | undefined) => EditPlan,
    options: { requestedBy: string | null; reason: string; metadata?: Record<string, unknown> },
  ): Promise<{ retryBatchId: string; plan: EditPlan }>;
}

const STATUS_REFUSAL: Partial<Record<FailedMessageStatus, string>> = {
  retry_issued: 'a retry of it is under way: wait for its receipt',
  resolved: 'it is resolved: reopen it first',
};

/**
 * Why a message cannot be edited, or undefined when it can: only an unresolved or archived
 * message that carries a generation request, or a body that never parsed (recorded as type
 * `unknown`: the malformed message edit-and-retry exists for). A webhook delivery's body only
 * names the delivery, and a poll reminder is the worker's own: both are retried as they are.
 */
export function whyNotEditable(m: Pick<EditCandidate, 'messageType' | 'invalid' | 'status'>) {
  if (m.messageType === 'webhook.delivery')
    return 'a webhook delivery carries no request to edit (its body names the delivery): retry it as it is';
  if (m.messageType !== MESSAGE_TYPE && !(m.invalid && m.messageType === 'unknown'))
    return `a ${m.messageType} message carries no request to edit: retry it as it is`;
  return STATUS_REFUSAL[m.status];
}

const GENERATION_REFUSAL: Partial<Record<GenerationStatus, string>> = {
  pending: 'is pending: it is already on its way again',
  running: 'is running: it is already on its way again',
  completed: 'has completed: resolve the message instead',
  cancelled: 'was cancelled: it is final',
};

/** The message as JSON, or undefined when it never parsed as JSON. */
function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** A message's fields by dotted path, one level into `request` (where the edits are). */
function flatten(value: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!value || typeof value !== 'object' || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'request' && v && typeof v === 'object' && !Array.isArray(v))
      for (const [rk, rv] of Object.entries(v)) out.set(`request.${rk}`, rv);
    else out.set(k, v);
  }
  return out;
}

/**
 * What the edit changed against the stored body: read through the message schema when it parses
 * (so a default the producer left out is not a change), as raw JSON otherwise.
 */
export function changesOf(storedBody: string, edited: GenerationRequestedMessage): MessageFieldChange[] {
  const raw = jsonOf(storedBody);
  if (raw === undefined || typeof raw !== 'object' || raw === null)
    return [{ path: '(body)', before: storedBody.slice(0, MAX_EDIT_VALUE_LENGTH), after: edited }];
  const parsed = GenerationRequestedMessage.safeParse(raw);
  const before = flatten(parsed.success ? parsed.data : raw);
  const after = flatten(edited);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths
    .filter((p) => JSON.stringify(before.get(p)) !== JSON.stringify(after.get(p)))
    .map((path) => ({
      path,
      ...(before.get(path) === undefined ? {} : { before: before.get(path) }),
      ...(after.get(path) === undefined ? {} : { after: after.get(path) }),
    }));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Where a signed webhook goes is the client's subscription: an edit may keep it or drop it,
 * never point it (or its events) anywhere else.
 */
function webhookUnchanged(storedBody: string, edited: GenerationRequestedMessage): boolean {
  if (edited.request.webhook === undefined) return true;
  const raw = flatten(jsonOf(storedBody));
  return (
    same(raw.get('request.webhook'), edited.request.webhook) &&
    same(raw.get('request.webhookEvents'), edited.request.webhookEvents)
  );
}

/**
 * Decides an edit over the locked message and generation: which messages can be edited
 * (unresolved or archived generation requests, or bodies that never parsed), which fields stay
 * (the generation a message named, an existing generation's idempotency key, the webhook), and
 * that the generation, when it exists, is failed (anything else is already on its way or final).
 */
export function planEdit(
  edited: GenerationRequestedMessage,
  candidate: EditCandidate | undefined,
  generation: EditedGeneration | undefined,
): EditPlan {
  if (!candidate) throw notFound('no such failed message');
  const refusal = whyNotEditable(candidate);
  if (refusal) throw conflict(`cannot edit: ${refusal}`);
  if (candidate.generationId && edited.generationId !== candidate.generationId)
    throw validationError('the edit changes a field that must stay', [
      {
        field: 'generationId',
        message: `must stay ${candidate.generationId}: it names the message's generation`,
      },
    ]);
  if (!webhookUnchanged(candidate.body, edited))
    throw validationError('the edit changes a field that must stay', [
      {
        field: 'request.webhook',
        message: 'an edit may keep or remove the webhook, never change where it goes',
      },
    ]);
  if (generation) {
    if (!candidate.generationId)
      throw conflict(
        `cannot edit: generation ${generation.id} already exists; a message that named no generation must name a new one`,
      );
    const stopped = GENERATION_REFUSAL[generation.status];
    if (stopped) throw conflict(`cannot edit: generation ${generation.id} ${stopped}`);
    if (!same(edited.idempotencyKey, generation.idempotencyKey))
      throw validationError('the edit changes a field that must stay', [
        {
          field: 'idempotencyKey',
          message: `must stay ${JSON.stringify(generation.idempotencyKey)}: the generation was accepted under it`,
        },
      ]);
  }
  const changes = changesOf(candidate.body, edited);
  if (changes.length === 0)
    throw validationError('the edit changes nothing: retry the message as it is instead', [
      { field: '(root)', message: 'no field differs from the failed message' },
    ]);
  return { generationId: edited.generationId, changes, retryBody: JSON.stringify(edited), message: edited };
}

/** The edited body and the reason, validated by the queue message's own schema: nothing is read before. */
export function parseEdit(input: { body: string; reason: string }): {
  message: GenerationRequestedMessage;
  reason: string;
} {
  const reason = input.reason.trim();
  const reasonError = !reason
    ? 'say why the message is edited'
    : reason.length > MAX_EDIT_REASON_LENGTH
      ? `at most ${MAX_EDIT_REASON_LENGTH} characters`
      : !isStorableString(reason)
        ? 'must not contain NUL characters or unpaired UTF-16 surrogates'
        : undefined;
  const json = jsonOf(input.body);
  const errors = reasonError ? [{ field: 'reason', message: reasonError }] : [];
  if (json === undefined)
    throw validationError('the edited body is not JSON', [
      ...errors,
      { field: 'body', message: 'not valid JSON' },
    ]);
  const parsed = GenerationRequestedMessage.safeParse(json);
  if (!parsed.success)
    throw validationError('the edited message does not match the message contract', [
      ...errors,
      ...fieldErrorsFromZod(parsed.error.issues),
    ]);
  if (errors.length) throw validationError('a reason is required', errors);
  return { message: parsed.data, reason };
}

/**
 * Edits a failed message and sends it as a new attempt, the way ServicePulse fixes a malformed
 * message: the edited body is validated by the queue message's schema (invalid: a validation
 * error naming each field, nothing written), then recorded as a retry batch of one whose receipt
 * carries the edit and the reason. A failed generation takes the edited request (the worker reads
 * a generation's request from its record, never from a message), goes back to pending and
 * completes as itself: one generation, one completion, whatever the duplicates. A message whose
 * generation was never created (it never parsed) creates it from the edited body, as a producer's
 * message does. Sending the batch is `processRetryBatch`'s, which sends the edited body.
 */
export async function editAndRetryFailedMessage(
  deps: { failedMessages: FailedMessageEdits },
  input: { id: string; body: string; reason: string },
  options: { requestedBy: string | null; metadata?: Record<string, unknown> },
): Promise<{ retryBatchId: string; generationId: string; changes: MessageFieldChange[] }> {
  const { message, reason } = parseEdit(input);
  const { retryBatchId, plan } = await deps.failedMessages.editForRetry(
    { id: input.id, generationId: message.generationId },
    (candidate, generation) => planEdit(message, candidate, generation),
    { ...options, reason },
  );
  return { retryBatchId, generationId: plan.generationId, changes: plan.changes };
}
