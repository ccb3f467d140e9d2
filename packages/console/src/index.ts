export { type ConsoleOptions, createConsole } from './console-app.ts';
export type { ConsoleDeps } from './deps.ts';
