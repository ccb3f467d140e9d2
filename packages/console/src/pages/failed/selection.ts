import { FAILURE_GROUP_ID } from '@genledger/core/contracts/limits';
import { isStorableString } from '@genledger/core/contracts/storable';
import type { Selection } from '@genledger/core/ports/console-read-model';
import { many, one } from '../../http/form.ts';
import { filterOf, parseList } from './list-query.ts';

/** A group operation's cursor as a form or link carries it: a member id, else nothing. */
export const groupCursorOf = (v: string | undefined) => (v && FAILURE_GROUP_ID.test(v) ? v : undefined);

/** The selection a bulk form describes: a group, every message matching its filter, or the ticked ids. */
export function selectionOf(body: Record<string, string | string[]>): Selection | undefined {
  const groupId = one(body.groupId);
  if (one(body.scope) === 'group' && groupId) return FAILURE_GROUP_ID.test(groupId) ? { groupId } : undefined;
  if (one(body.scope) === 'matching') {
    const parsed = parseList({
      status: many(body.status),
      groupId: many(body.groupId),
      q: many(body.q),
      from: many(body.from),
      to: many(body.to),
    });
    return parsed.success ? { filter: filterOf(parsed.data) } : undefined;
  }
  // An id Postgres could not even compare (NUL, an unpaired surrogate) names no message.
  const ids = many(body.id).filter((i) => i.length > 0 && i.length <= 64 && isStorableString(i));
  return ids.length ? { ids: [...new Set(ids)] } : undefined;
}

export function describeSelection(sel: Selection): string {
  if ('ids' in sel) return `${sel.ids.length} selected message${sel.ids.length === 1 ? '' : 's'}`;
  if ('groupId' in sel) return 'every message of the group';
  return 'every message matching the filter';
}
