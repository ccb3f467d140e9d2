import type { ConsoleKey } from '@genledger/core/ports/console-read-model';
import type { Context } from 'hono';
import type { ConsoleDeps } from './deps.ts';
import type { FlashMessage } from './session/flash-cookie.ts';
import type { SessionPayload } from './session/session-cookie.ts';
import type { PageContext } from './ui/layout.tsx';

/** What every page's routes are registered with: the ports, and the clock sessions expire by. */
export interface ConsoleServices {
  deps: ConsoleDeps;
  now: () => number;
}

/** What a signed-in request carries: its key, its session, and what its page's layout shows. */
export type ConsoleEnv = {
  Variables: {
    who: ConsoleKey;
    session: SessionPayload;
    page: PageContext;
    /** The one-time message left for this session's next page, read (and cleared) once. */
    takeFlash: () => FlashMessage | undefined;
  };
};
export type ConsoleContext = Context<ConsoleEnv>;
