import type { FailedMessageOperation } from '@genledger/core/contracts/failed-messages';

/** What a bulk form may ask for; a retry goes through its preview first. */
export const OPERATIONS = ['retry', 'archive', 'unarchive', 'resolve', 'reopen'] as const;

export const isOperation = (v: string | undefined): v is FailedMessageOperation =>
  (OPERATIONS as readonly (string | undefined)[]).includes(v);

export const DONE_VERB: Record<FailedMessageOperation, string> = {
  retry: 'retried',
  archive: 'archived',
  unarchive: 'unarchived',
  resolve: 'resolved',
  reopen: 'reopened',
};

/** An operation as its button names it: "Archive". */
export const operationLabel = (op: string) => `${op[0]!.toUpperCase()}${op.slice(1)}`;
