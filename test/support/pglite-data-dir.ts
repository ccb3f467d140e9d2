import { existsSync, readFileSync } from 'node:fs';
import { inject } from 'vitest';

/**
 * The PGlite data directory the run initialised once (test/support/global-setup.ts), to load with
 * `PGlite.create(…, { loadDataDir })`. The run starts without waiting for it: the first file
 * that loads it waits until it is written.
 */
export async function pgliteDataDir(): Promise<Blob> {
  const file = inject('pgliteDataDir');
  const until = Date.now() + 120_000;
  for (;;) {
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    if (existsSync(`${file}.failed`))
      throw new Error(
        `PGlite's initdb failed in the global setup: ${readFileSync(`${file}.failed`, 'utf8')}`,
      );
    if (Date.now() > until) throw new Error(`${file} was not written within 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
