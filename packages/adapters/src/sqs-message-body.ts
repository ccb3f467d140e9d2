/**
 * A UTF-16 code unit SQS refuses in a message body: its allowed characters are #x9, #xA, #xD,
 * #x20–#xD7FF, #xE000–#xFFFD and #x10000–#x10FFFF
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * Matched by code unit, so the two halves of a character beyond U+FFFF match too.
 */
const REFUSED = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/g;

/**
 * A value's JSON as a body SQS takes whatever text it holds. JSON.stringify escapes the control
 * characters already; U+FFFE and U+FFFF would still be refused, so a prompt holding one would be
 * accepted by the API and refused by the queue on every re-send. Those are written as `\uXXXX`,
 * which JSON.parse reads back as the same string; they can only stand inside a JSON string. A
 * character beyond U+FFFF is written as its escaped surrogate pair too: SQS takes it, but the
 * sim's SQS (fauxqs 1.9) refuses it, and the two must behave alike.
 */
export function sqsMessageBody(value: unknown): string {
  const json = JSON.stringify(value);
  REFUSED.lastIndex = 0;
  if (!REFUSED.test(json)) return json;
  return json.replace(REFUSED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
