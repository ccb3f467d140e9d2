import * as z from 'zod';

/** An operator's reason for an edit: required, and as long as a retry's. */
export const MAX_EDIT_REASON_LENGTH = 500;

/**
 * One field an edit changed, by its dotted path in the message (`request.model`), with the value
 * before and after (absent: the field was not there). A body that never parsed as JSON is one
 * change at `(body)`, its text cut to MAX_EDIT_VALUE_LENGTH.
 */
export const MessageFieldChange = z.object({
  path: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type MessageFieldChange = z.infer<typeof MessageFieldChange>;

/** The longest text kept of a raw body in an edit's record: the prompt's own bound. */
export const MAX_EDIT_VALUE_LENGTH = 4000;
