import { bodyLimit } from 'hono/body-limit';

/** The largest form the console takes: a bulk selection of a page of ids, a key's name, a setting. */
const MAX_FORM_BYTES = 64 * 1024;

/** Refuses a larger body before anything reads it. */
export const limitFormBody = bodyLimit({
  maxSize: MAX_FORM_BYTES,
  onError: (c) => c.text('request body too large', 413),
});
