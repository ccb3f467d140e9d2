import type { FailureGroup } from '@genledger/core/contracts/failed-messages';

/**
 * How the groups page is triaged: one classifier at a time (every message is in one group per
 * classifier, so mixing them counts each message three times), a sort, and whether settled groups
 * (nothing unresolved or being retried) are shown.
 */
export const CLASSIFIERS = [
  ['exception-type-and-stack-frame', 'exception and frame'],
  ['model', 'model'],
  ['message-type', 'message type'],
] as const;
export const SORTS = [
  ['unresolved', 'most unresolved'],
  ['last', 'last seen'],
  ['trend', 'most failures today'],
] as const;

export interface Triage {
  by: (typeof CLASSIFIERS)[number][0];
  sort: (typeof SORTS)[number][0];
  all: boolean;
}

export function triageOf(query: Record<string, string>): Triage {
  const by = CLASSIFIERS.find(([c]) => c === query.by)?.[0] ?? CLASSIFIERS[0][0];
  const sort = SORTS.find(([s]) => s === query.sort)?.[0] ?? 'unresolved';
  return { by, sort, all: query.all === '1' };
}

/** The groups of the chosen classifier, settled ones left out unless asked for, in the chosen order. */
export function triaged(
  groups: FailureGroup[],
  t: Triage,
  today: (groupId: string) => number,
): FailureGroup[] {
  const shown = groups.filter((g) => g.classifier === t.by && (t.all || g.unresolved + g.retryIssued > 0));
  const key: Record<Triage['sort'], (g: FailureGroup) => number> = {
    unresolved: (g) => g.unresolved,
    last: (g) => Date.parse(g.lastFailedAt),
    trend: (g) => today(g.id),
  };
  return shown.sort(
    (a, b) => key[t.sort](b) - key[t.sort](a) || b.lastFailedAt.localeCompare(a.lastFailedAt),
  );
}
