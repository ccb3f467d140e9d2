/**
 * What the generator backend's health is judged by: its recent attempt outcomes from the run
 * journal (implemented in @genledger/db, so it holds deployed as well as under `npm start`), and,
 * where the backend has one, its own health endpoint (Cog's `GET /health-check`).
 */

/** Attempts that finished in a window, from the run journal. */
export interface AttemptOutcomes {
  windowMinutes: number;
  completed: number;
  failed: number;
  lastFailureAt: string | null;
  lastErrorType: string | null;
}

export interface AttemptOutcomeReads {
  /** Attempts that finished in the last `minutes`, with the newest failure. */
  attemptOutcomes(minutes: number): Promise<AttemptOutcomes>;
}

/**
 * The backend's own word on its health, as its health endpoint reports it (Cog: READY, BUSY,
 * STARTING, SETUP_FAILED; a backend that does not answer is unreachable).
 */
export interface BackendHealthReport {
  state: 'ready' | 'busy' | 'starting' | 'setup_failed' | 'unreachable' | 'unknown';
  detail: string;
}

/** Asks the backend how it is; optional: a backend without a health endpoint has none. */
export type BackendHealthProbe = () => Promise<BackendHealthReport>;
