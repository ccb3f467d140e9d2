import type { CallbackTokens } from '@genledger/core/ports/callback-tokens';
import { callbackTokenCodec } from '@genledger/core/use-cases/backend/callback-token';
import { derivedKey } from './derived-key.ts';

/**
 * Callback tokens signed with a key derived from the cursor secret, as the console's session key
 * and the local output links' are: the worker that mints and the API that opens share it
 * (CursorSecret is linked to both), and nothing else can mint one.
 */
export const callbackTokensOf = (cursorSecret: string): CallbackTokens =>
  callbackTokenCodec(derivedKey(cursorSecret, 'callback-tokens'));
