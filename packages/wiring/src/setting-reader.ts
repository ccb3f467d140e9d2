import type { SettingKey, SettingValue } from '@genledger/core/contracts/settings';
import type { Settings } from '@genledger/core/ports/settings';

/** How long a container trusts a setting it read: an admin's change counts within this. */
const SETTING_TTL_MS = 60_000;

/**
 * One setting, read at most once per TTL: the paths that consult one on every request or message
 * (a metric's model dimension, a request's default model) do not add a round trip each time.
 */
export function settingReader<K extends SettingKey>(
  settings: Pick<Settings, 'get'>,
  key: K,
  options: { ttlMs?: number; now?: () => number } = {},
): () => Promise<SettingValue<K>> {
  const ttlMs = options.ttlMs ?? SETTING_TTL_MS;
  const now = options.now ?? Date.now;
  let known: { value: SettingValue<K>; until: number } | undefined;
  return async () => {
    if (!known || now() >= known.until) known = { value: await settings.get(key), until: now() + ttlMs };
    return known.value;
  };
}
