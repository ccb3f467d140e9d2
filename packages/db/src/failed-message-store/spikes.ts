import { type DomainEvent, streams } from '@genledger/core/contracts/events';
import { SETTINGS } from '@genledger/core/contracts/settings';
import { type SpikeRule, spikeChange } from '@genledger/core/use-cases/failed-messages/failure-spike';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { textArray } from '../sql-arrays.ts';
import type { FailedMessageTables } from './context.ts';

const THRESHOLD = 'alerts.groupSpikeFailures';
const WINDOW = 'alerts.groupSpikeWindowMinutes';

/** The spike rule as set (`PUT /settings/…`), each part its default when unset or unreadable. */
async function spikeRule(tx: Executor, t: Pick<FailedMessageTables, 'settings'>): Promise<SpikeRule> {
  const rows = await rowsOf<{ key: string; value: unknown }>(
    tx.execute(sql`select key, value from ${t.settings} where key in (${THRESHOLD}, ${WINDOW})`),
  );
  const read = <K extends typeof THRESHOLD | typeof WINDOW>(key: K): number => {
    const parsed = SETTINGS[key].schema.safeParse(rows.find((r) => r.key === key)?.value);
    return parsed.success ? parsed.data : SETTINGS[key].default;
  };
  return { threshold: read(THRESHOLD), windowMinutes: read(WINDOW) };
}

/**
 * After a dead-lettering joined its groups (whose rows the ingest holds locked): each group counts
 * its members' attempts within the spike window ending at this failure, stopping at the threshold,
 * and raises or ends its spike (failure-spike.ts). The count reads the window's attempts by their
 * `failed_at` index and probes each one's membership, so its cost follows the failures in the window,
 * never the size of an old group.
 */
export async function groupSpikes(
  tx: Executor,
  t: Pick<FailedMessageTables, 'settings' | 'groups' | 'members' | 'attempts'>,
  groupIds: readonly string[],
  failedAt: string,
): Promise<{ streamId: string; event: DomainEvent }[]> {
  if (groupIds.length === 0) return [];
  const rule = await spikeRule(tx, t);
  const from = sql`${failedAt}::timestamptz - make_interval(mins => ${rule.windowMinutes})`;
  const rows = await rowsOf<{ id: string; spiking: boolean; failures: number }>(
    tx.execute(sql`
      select g.id, g.spiking_since is not null as spiking,
             (select count(*)::int from (
                select 1 from ${t.attempts} a
                join ${t.members} m on m.failed_message_id = a.failed_message_id and m.group_id = g.id
                where a.failed_at > ${from} and a.failed_at <= ${failedAt}::timestamptz
                limit ${rule.threshold}) w) as failures
      from ${t.groups} g where g.id = any(${textArray(groupIds)})
      order by g.id`),
  );
  const events: { streamId: string; event: DomainEvent }[] = [];
  for (const g of rows) {
    const change = spikeChange(g.spiking, g.failures, rule);
    if (change === 'none') continue;
    await tx.execute(sql`
      update ${t.groups} set spiking_since = ${change === 'raise' ? failedAt : null}::timestamptz
      where id = ${g.id}`);
    if (change === 'raise')
      events.push({
        streamId: streams.failureGroup(g.id),
        event: { type: 'FailureGroupSpiking', groupId: g.id, failures: g.failures, ...rule },
      });
  }
  return events;
}
