import { type EventOf, streams } from '@genledger/core/contracts/events';
import type { FailedMessageDetail } from '@genledger/core/contracts/failed-messages';
import { isStorableString } from '@genledger/core/contracts/storable';
import type { ConsoleDeps } from '../../deps.ts';

export interface MessageDetail {
  detail: FailedMessageDetail;
  /** Per attempt, its run's duration (found through the SQS message id), when there is one. */
  durations: (number | null)[];
  /** The operators' edits of it (edit and retry), oldest first, with when each was made. */
  edits: { at: string; edit: EventOf<'FailedMessageEdited'> }[];
}

/** A failed message with every attempt's duration, or undefined for an id no message has. */
export async function messageDetail(
  deps: Pick<ConsoleDeps, 'failedMessages' | 'generationReads' | 'events'>,
  id: string,
): Promise<MessageDetail | undefined> {
  const detail = id.length <= 64 && isStorableString(id) ? await deps.failedMessages.get(id) : undefined;
  if (!detail) return undefined;
  const [runs, stream] = await Promise.all([
    detail.generationId
      ? deps.generationReads.runs(detail.generationId, { admin: true }).then((r) => r ?? [])
      : Promise.resolve([]),
    deps.events.readStream(streams.failedMessage(id)),
  ]);
  const edits = stream.flatMap((e) =>
    e.event.type === 'FailedMessageEdited' ? [{ at: e.storedAt.toISOString(), edit: e.event }] : [],
  );
  const durations = detail.attempts.map(
    (a) => runs.filter((r) => r.messageId === a.messageId).at(-1)?.durationMs ?? null,
  );
  return { detail, durations, edits };
}
