/**
 * A failed message as an operator recognises it: its generation's prompt and model, not the
 * 64-hex id that only the database needs. Falls back to the error type, then a short id.
 */
export function messageName(m: {
  id: string;
  prompt: string | null;
  model: string | null;
  errorType?: string | null;
}): string {
  const model = m.model ? ` (${m.model})` : '';
  if (m.prompt) {
    const prompt = m.prompt.length > 60 ? `${m.prompt.slice(0, 59)}…` : m.prompt;
    return `“${prompt}”${model}`;
  }
  return `${m.errorType ?? 'message'} ${m.id.slice(0, 8)}${model}`;
}
