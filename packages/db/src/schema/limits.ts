/**
 * Column lengths only the database knows, named once beside the tables that declare them
 * (tables.ts) for the stores that truncate to them. Limits a contract checks too live in core
 * (`@genledger/core/contracts/limits`). The migrations already generated hold these numbers as
 * literals: a change here is a schema change (`npm run generate`).
 */

/** A status column (generations, runs, failed messages, retry batches, daily stats): the longest status is 12. */
export const STATUS_LENGTH = 20;
/** A sha-256 in hex: an API key's hash, a request's hash. */
export const SHA256_HEX_LENGTH = 64;
/** An API key's public prefix (8 characters, or `h` and 7 of its hash). */
export const KEY_PREFIX_LENGTH = 16;
/** An event stream's id (`generation-<uuid>`, `failed-message-<sha-256>`, …). */
export const MAX_STREAM_ID_LENGTH = 200;
/** An event's type (a name from the event union). */
export const MAX_EVENT_TYPE_LENGTH = 100;
/** A projection's name, its checkpoint's key. */
export const MAX_CHECKPOINT_NAME_LENGTH = 100;
/** The id a queue gave a message (an SQS message id, or the local queue's uuid). */
export const MAX_MESSAGE_ID_LENGTH = 200;
/** The queue a message failed on (an SQS queue URL or ARN, or a local queue's name). */
export const MAX_QUEUE_LENGTH = 500;
/** A failure group's classifier (`exception-type-and-stack-frame`, `message-type`, `model`). */
export const MAX_CLASSIFIER_LENGTH = 50;
/** A failure group's title: what the classifier grouped by. */
export const MAX_GROUP_TITLE_LENGTH = 500;
/** An SQS receipt handle (generation_runs.receipt_handle): SQS documents up to 1,024 characters. */
export const MAX_RECEIPT_HANDLE_LENGTH = 1024;
