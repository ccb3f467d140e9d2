import { streams } from '@genledger/core/contracts/events';
import {
  isSettingKey,
  SETTING_KEYS,
  SETTINGS,
  type SettingKey,
  type SettingValue,
} from '@genledger/core/contracts/settings';
import { AppError, fieldErrorsFromZod, notFound } from '@genledger/core/errors';
import type { SettingEntry, Settings } from '@genledger/core/ports/settings';
import { eq } from 'drizzle-orm';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import type { Executor } from './executor.ts';

/** Typed runtime settings over the `settings` table; unset keys read as their defaults. */
export class SettingsStore implements Settings {
  constructor(
    private readonly database: Pick<Database, 'db' | 'tables'>,
    private readonly events: EventStore,
  ) {}

  async get<K extends SettingKey>(key: K, tx: Executor = this.database.db): Promise<SettingValue<K>> {
    const t = this.database.tables.settings;
    const [row] = await tx.select({ value: t.value }).from(t).where(eq(t.key, key));
    const parsed = row ? SETTINGS[key].schema.safeParse(row.value) : undefined;
    // A stored value that no longer fits (a range narrowed by a release) falls back to the default.
    return (parsed?.success ? parsed.data : SETTINGS[key].default) as SettingValue<K>;
  }

  async list(): Promise<SettingEntry[]> {
    const t = this.database.tables.settings;
    const rows = await this.database.db.select().from(t);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return SETTING_KEYS.map((key) => {
      const row = byKey.get(key);
      return {
        key,
        value: row ? row.value : SETTINGS[key].default,
        isDefault: !row,
        description: SETTINGS[key].description,
        updatedAt: row?.updatedAt ?? null,
      };
    });
  }

  /** Validates against the key's schema, then writes the value and its SettingChanged event together. */
  async set(key: string, value: unknown, metadata: Record<string, unknown> = {}): Promise<SettingEntry> {
    if (!isSettingKey(key)) throw notFound(`unknown setting "${key}"`);
    const parsed = SETTINGS[key].schema.safeParse(value);
    if (!parsed.success) {
      throw new AppError('validation', `invalid value for setting "${key}"`, {
        fieldErrors: fieldErrorsFromZod(parsed.error.issues).map((f) => ({
          ...f,
          field: f.field === '(root)' ? 'value' : `value.${f.field}`,
        })),
      });
    }
    const t = this.database.tables.settings;
    const updatedAt = await this.database.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(t)
        .values({ key, value: parsed.data })
        .onConflictDoUpdate({ target: t.key, set: { value: parsed.data, updatedAt: new Date() } })
        .returning({ updatedAt: t.updatedAt });
      await this.events.appendAll(
        [
          {
            streamId: streams.settings(),
            event: { type: 'SettingChanged', key, value: parsed.data },
            metadata,
          },
        ],
        { tx },
      );
      return row!.updatedAt;
    });
    return { key, value: parsed.data, isDefault: false, description: SETTINGS[key].description, updatedAt };
  }
}
