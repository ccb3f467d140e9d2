import type { SettingKey, SettingValue } from '../contracts/settings.ts';

export interface SettingEntry {
  key: SettingKey;
  value: unknown;
  isDefault: boolean;
  description: string;
  updatedAt: Date | null;
}

/** Typed runtime settings; an unset key reads as its default. */
export interface Settings {
  get<K extends SettingKey>(key: K): Promise<SettingValue<K>>;
  list(): Promise<SettingEntry[]>;
  /** Validates the value against the setting's schema (AppError validation / not-found). */
  set(key: string, value: unknown, metadata?: Record<string, unknown>): Promise<SettingEntry>;
}
