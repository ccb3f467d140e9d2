// The partial batch response SQS-triggered functions answer with (`partialResponses: true`).

import { safeMessage } from '@genledger/core/error-summary';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** Every record goes back to the queue: nothing could be attempted (no database, say). */
export const failWholeBatch = (records: readonly SQSRecord[]): SQSBatchResponse => ({
  batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })),
});

/**
 * What a handler returns for a record to stay in the queue without having failed: a delivery held
 * in flight until its attempt's deadline (its visibility already changed). Reported like a failure,
 * so Lambda does not delete it, but not logged as one.
 */
export const KEEP_IN_FLIGHT = Symbol('keep in flight');

/**
 * Handles each record on its own and reports the ones that threw: one bad message never fails its
 * neighbours, and SQS redelivers only what failed.
 */
export async function settleBatch(
  records: readonly SQSRecord[],
  handle: (record: SQSRecord) => Promise<unknown>,
  onFailure: (record: SQSRecord, error: string) => void,
): Promise<SQSBatchResponse> {
  // async: a handler that throws before its first await still fails only its own record.
  const results = await Promise.allSettled(records.map(async (r) => handle(r)));
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  results.forEach((result, i) => {
    const record = records[i]!;
    if (result.status === 'fulfilled') {
      if (result.value === KEEP_IN_FLIGHT) batchItemFailures.push({ itemIdentifier: record.messageId });
      return;
    }
    batchItemFailures.push({ itemIdentifier: record.messageId });
    onFailure(record, safeMessage(result.reason));
  });
  return { batchItemFailures };
}
