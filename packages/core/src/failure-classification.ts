import { createHash } from 'node:crypto';

export interface Classification {
  classifier: string;
  title: string;
}

/**
 * The first frame of a stack trace, without line numbers or directories, so that the same fault
 * reached from different deploys still groups together: `at render (generator.ts)`.
 */
export function firstStackFrame(stack: string | null | undefined): string | null {
  if (!stack) return null;
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const m = /^at (?:async )?(.*?) \((.*?)(?::\d+)*\)$/.exec(line);
    if (m) return `at ${m[1]} (${m[2]!.split(/[\\/]/).pop()})`;
    const bare = /^at (?:async )?(.*?)(?::\d+)*$/.exec(line);
    if (bare) return `at ${bare[1]!.split(/[\\/]/).pop()}`;
  }
  return null;
}

/** The groups a failure belongs to: exception type + first frame, message type, model. */
export function classify(input: {
  errorType: string;
  stack: string | null;
  messageType: string;
  model: string | null;
}): Classification[] {
  const groups: Classification[] = [
    {
      classifier: 'exception-type-and-stack-frame',
      title: `${input.errorType}: ${firstStackFrame(input.stack) ?? 'no stack'}`,
    },
    { classifier: 'message-type', title: input.messageType },
  ];
  if (input.model) groups.push({ classifier: 'model', title: input.model });
  return groups;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Deterministic: the same classifier and title always name the same group. */
export const failureGroupId = (c: Classification) => sha256(`${c.classifier}\n${c.title}`);

/**
 * Deterministic: the same logical message failing again updates the same record. A generation
 * message is identified by its generation (retries and re-sends of it are the same work); a message
 * that never parsed, by its body.
 */
export const failedMessageId = (generationId: string | null, body: string) =>
  sha256(generationId ? `generation:${generationId}` : `body:${body}`);
