import { GenerationRequestedMessage } from '@genledger/core/contracts/queue-message';
import { isAppError } from '@genledger/core/errors';
import {
  type EditCandidate,
  parseEdit,
  planEdit,
  whyNotEditable,
} from '@genledger/core/use-cases/failed-messages/edit-and-retry';
import { describe, expect, it } from 'vitest';

const generationId = '0b9d3f5e-7a51-4f63-9c1a-2d0c1d8c6a11';
const stored = { type: 'generation.requested', version: 1, generationId, request: { prompt: 'a fox' } };
const candidate = (over: Partial<EditCandidate> = {}): EditCandidate => ({
  id: 'a'.repeat(64),
  status: 'unresolved',
  invalid: false,
  messageType: 'generation.requested',
  generationId,
  body: JSON.stringify(stored),
  ...over,
});
const edited = (request: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  GenerationRequestedMessage.parse({ ...stored, ...extra, request: { ...stored.request, ...request } });

/** The kind and the message of what `fn` throws. */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (isAppError(e)) return { kind: e.kind, message: e.message, fields: e.fieldErrors.map((f) => f.field) };
    throw e;
  }
  throw new Error('not refused');
}

describe('edit-and-retry decisions', () => {
  it('diffs against the stored message read through its schema: a default left out is no change', () => {
    const plan = planEdit(edited({ model: 'sdxl-turbo', width: 1024 }), candidate(), undefined);
    expect(plan.changes).toEqual([{ path: 'request.model', before: 'sdxl', after: 'sdxl-turbo' }]);
    expect(JSON.parse(plan.retryBody).request.model).toBe('sdxl-turbo');
  });

  it('refuses a generation that is not failed, and an idempotency key that moves', () => {
    const edit = edited({ model: 'x' });
    for (const status of ['pending', 'running', 'completed', 'cancelled'] as const)
      expect(
        refusal(() => planEdit(edit, candidate(), { id: generationId, status, idempotencyKey: null })).kind,
      ).toBe('conflict');
    const keyed = refusal(() =>
      planEdit(edited({ model: 'x' }, { idempotencyKey: 'k2' }), candidate(), {
        id: generationId,
        status: 'failed',
        idempotencyKey: 'k1',
      }),
    );
    expect(keyed).toMatchObject({ kind: 'validation', fields: ['idempotencyKey'] });
    expect(
      planEdit(edit, candidate(), { id: generationId, status: 'failed', idempotencyKey: null }).changes,
    ).toHaveLength(1);
  });

  it('a body that never parsed as JSON is one change; a message that named no generation must name a new one', () => {
    const raw = candidate({ body: 'not json {', invalid: true, messageType: 'unknown', generationId: null });
    expect(planEdit(edited({}), raw, undefined).changes.map((c) => c.path)).toEqual(['(body)']);
    const taken = refusal(() =>
      planEdit(edited({}), raw, { id: generationId, status: 'failed', idempotencyKey: null }),
    );
    expect(taken.kind).toBe('conflict');
  });

  it('only generation requests and unparsed bodies, unresolved or archived, can be edited', () => {
    expect(whyNotEditable({ messageType: 'webhook.delivery', invalid: false, status: 'unresolved' })).toMatch(
      /webhook delivery/,
    );
    expect(
      whyNotEditable({ messageType: 'generation.poll', invalid: false, status: 'unresolved' }),
    ).toBeDefined();
    expect(whyNotEditable({ messageType: 'unknown', invalid: true, status: 'archived' })).toBeUndefined();
    expect(
      whyNotEditable({ messageType: 'generation.requested', invalid: false, status: 'resolved' }),
    ).toMatch(/reopen/);
  });

  it('names every invalid field, the reason among them, before reading anything', () => {
    const r = refusal(() =>
      parseEdit({ body: JSON.stringify({ ...stored, request: { prompt: '', width: 3 } }), reason: ' ' }),
    );
    expect(r.kind).toBe('validation');
    expect(r.fields).toEqual(expect.arrayContaining(['reason', 'request.prompt', 'request.width']));
  });
});
