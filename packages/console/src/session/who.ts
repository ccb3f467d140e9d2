import type { Owner } from '@genledger/core/ports/principal';
import type { ConsoleContext } from '../env.ts';

/** Whose generations the signed-in key may see: an admin's, all; another key's, its own. */
export const ownerOf = (c: ConsoleContext): Owner =>
  c.get('who').isAdmin ? { admin: true } : { admin: false, apiKeyId: c.get('who').id };

/** What the stores record as event metadata for a console action: who, from where, never a key. */
export const metadataOf = (c: ConsoleContext) => ({ apiKeyId: c.get('who').id, source: 'console' });
