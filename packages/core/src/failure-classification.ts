import { createHash } from 'node:crypto';

export interface Classification {
  classifier: string;
  title: string;
}

/**
 * A file's name without its directories, and without the content hash a bundler gives a split
 * chunk (`chunk-GUPCHJFC.mjs` → `chunk.mjs`): deployed functions are split bundles whose chunk
 * names change with any change to the code in them.
 */
const fileName = (path: string) =>
  path
    .split(/[\\/]/)
    .pop()!
    .replace(/-[A-Z0-9]{8}(\.[cm]?js)$/, '$1');

/**
 * The first frame of a stack trace, without line numbers, directories or a chunk's hash, so that
 * the same fault reached from different deploys still groups together: `at render (generator.ts)`,
 * or in a deployed bundle (built with names kept) `at render (chunk.mjs)`.
 */
export function firstStackFrame(stack: string | null | undefined): string | null {
  if (!stack) return null;
  for (const raw of stack.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('at ')) continue;
    const m = /^at (?:async )?(.*?) \((.*?)(?::\d+)*\)$/.exec(line);
    if (m) return `at ${m[1]} (${fileName(m[2]!)})`;
    const bare = /^at (?:async )?(.*?)(?::\d+)*$/.exec(line);
    if (bare) return `at ${fileName(bare[1]!)}`;
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
