/**
 * The longest texts the contracts accept and the database stores, in characters: each is the
 * length of a `varchar` column (packages/db/src/schema/tables.ts) and the bound its zod contract
 * checks, or a store truncates to. Named once, here, because core depends on zod only and the
 * tables may import core; limits only the database knows live beside the tables
 * (packages/db/src/schema/limits.ts). The migrations already generated hold these numbers as
 * literals: a change here is a schema change (`npm run generate`).
 */

/** A generation's name (generations.name). */
export const MAX_GENERATION_NAME_LENGTH = 255;
/** A prompt, and a negative prompt (generations.prompt, negative_prompt). */
export const MAX_PROMPT_LENGTH = 4000;
/** A model's name, wherever it is stored (generations, failed messages, daily stats, settings). */
export const MAX_MODEL_LENGTH = 100;
/** An idempotency key, from the header or a queue message (generations.idempotency_key). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** An error's type, as a run, a failed message and an event record it (`error_type` columns). */
export const MAX_ERROR_TYPE_LENGTH = 200;
/** An error's message, as a generation, a run, a failed message and an event record it. */
export const MAX_ERROR_MESSAGE_LENGTH = 2000;
/** The type a queue message names (failed_messages.message_type). */
export const MAX_MESSAGE_TYPE_LENGTH = 100;
/** A failed message's id: the sha-256 hex of what it is (`failedMessageId`), always this long. */
export const FAILED_MESSAGE_ID_LENGTH = 64;
/** A failure group's id: the sha-256 hex of its classifier and title (`failureGroupId`). */
export const FAILURE_GROUP_ID_LENGTH = 64;
/** A failure group's id as it is written: lower-case hex of that length. */
export const FAILURE_GROUP_ID = /^[0-9a-f]{64}$/;
/** An API key's name (api_keys.name). */
export const MAX_API_KEY_NAME_LENGTH = 255;
/** A runtime setting's key (settings.key). */
export const MAX_SETTING_KEY_LENGTH = 100;
/** Where a backend's output and its thumbnail are stored (generations.output_path, thumbnail_path). */
export const MAX_OUTPUT_PATH_LENGTH = 500;
/** The id a backend gives its job (generations.prompt_id). */
export const MAX_PROMPT_ID_LENGTH = 100;

/** An image's width and height, in pixels (the contract's range and generations_size_ck). */
export const MIN_IMAGE_SIDE = 64;
export const MAX_IMAGE_SIDE = 4096;
