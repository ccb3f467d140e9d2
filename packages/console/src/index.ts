export { type ConsoleOptions, createConsole } from './console-app.tsx';
export type { ConsoleDeps } from './deps.ts';
