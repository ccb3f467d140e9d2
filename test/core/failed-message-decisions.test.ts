// The decisions that moved out of the failed-message store: which messages an operation moves, the
// errors it gives, and the cause a dead-lettering is recorded with. Pure functions; the store's
// side is covered against real databases in test/db/recoverability.test.ts.
import { planStatusChange } from '@genledger/core/use-cases/failed-messages/change-status';
import { deadLetterCause } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { describe, expect, it } from 'vitest';

const c = (id: string, status: 'unresolved' | 'retry_issued' | 'resolved' | 'archived', invalid = false) => ({
  id,
  status,
  invalid,
});

describe('planStatusChange', () => {
  it('by ids: all eligible change, none skipped', () => {
    expect(
      planStatusChange('archive', { ids: ['a', 'b'] }, [c('a', 'unresolved'), c('b', 'unresolved')]),
    ).toEqual({ ids: ['a', 'b'], skipped: 0 });
  });

  it('by ids: a missing id is not-found and names it', () => {
    expect(() => planStatusChange('resolve', { ids: ['a', 'gone'] }, [c('a', 'unresolved')])).toThrow(
      expect.objectContaining({ kind: 'not-found', message: 'no failed message gone' }),
    );
  });

  it('by ids: one ineligible is a conflict naming why, at most five, with the rest counted', () => {
    const ids = ['1', '2', '3', '4', '5', '6', '7'];
    expect(() =>
      planStatusChange(
        'archive',
        { ids },
        ids.map((i) => c(i, 'resolved')),
      ),
    ).toThrow(
      expect.objectContaining({
        kind: 'conflict',
        message:
          'cannot archive: 1 is resolved; 2 is resolved; 3 is resolved; 4 is resolved; 5 is resolved (and 2 more)',
      }),
    );
    expect(() => planStatusChange('retry', { ids: ['x'] }, [c('x', 'unresolved', true)])).toThrow(
      expect.objectContaining({
        kind: 'conflict',
        message: 'cannot retry: x never parsed and would fail again',
      }),
    );
  });

  it('by group: ineligible ones are skipped, invalid ones are never retried', () => {
    const members = [
      c('a', 'unresolved'),
      c('b', 'archived'),
      c('d', 'resolved'),
      c('e', 'unresolved', true),
    ];
    expect(planStatusChange('retry', { groupId: 'g' }, members)).toEqual({ ids: ['a', 'b'], skipped: 2 });
    expect(planStatusChange('unarchive', { groupId: 'g' }, members)).toEqual({ ids: ['b'], skipped: 3 });
    expect(planStatusChange('resolve', { groupId: 'g' }, members)).toEqual({
      ids: ['a', 'b', 'e'],
      skipped: 1,
    });
  });
});

describe('deadLetterCause', () => {
  const gen = '0196b1e4-0000-7000-8000-000000000001';
  it('an unparsed body is InvalidMessage with its reason', () => {
    expect(
      deadLetterCause({ invalidReason: 'the message body is not JSON', generationId: null }, undefined),
    ).toEqual({
      type: 'InvalidMessage',
      message: 'the message body is not JSON',
      stack: null,
    });
  });
  it("the last failed run's error when there is one", () => {
    expect(
      deadLetterCause(
        { invalidReason: null, generationId: gen },
        { errorType: 'Timeout', errorMessage: null, errorStack: 'at x' },
      ),
    ).toEqual({ type: 'Timeout', message: '', stack: 'at x' });
  });
  it('NoRecordedError when the generation has no failed run (or the run has no error)', () => {
    for (const run of [undefined, { errorType: null, errorMessage: null, errorStack: null }]) {
      expect(deadLetterCause({ invalidReason: null, generationId: gen }, run).type).toBe('NoRecordedError');
    }
  });
});
