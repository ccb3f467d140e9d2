/** @jsxImportSource hono/jsx */
import type { GenerationRecord } from '@genledger/core/contracts/generation';
import { isAppError } from '@genledger/core/errors';
import { CANCELLABLE_STATUSES, cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleEnv, ConsoleServices } from '../../env.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { metadataOf, ownerOf } from '../../session/who.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import type { PageContext } from '../../ui/layout.tsx';

/** Cancel, for a generation still pending or running; asks first. */
export function CancelForm(props: { ctx: PageContext; g: GenerationRecord }) {
  if (!CANCELLABLE_STATUSES.includes(props.g.status)) return null;
  return (
    <form method="post" action={`/console/generations/${props.g.id}/cancel`} class="actions">
      <Csrf ctx={props.ctx} />
      <button type="submit" class="danger" data-confirm="Cancel this generation?">
        Cancel generation
      </button>
    </form>
  );
}

/** POST /console/generations/:id/cancel: the API's use case, its outcome in the one-time flash. */
export function registerCancel(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  app.post('/generations/:id/cancel', async (c) => {
    const id = c.req.param('id');
    const back = `/console/generations/${id}`;
    if (!z.uuid().safeParse(id).success) return c.text('not found', 404);
    let text = 'Cancelled.';
    let kind: 'ok' | 'error' = 'ok';
    try {
      await cancelGeneration(s.deps, { id, owner: ownerOf(c), metadata: metadataOf(c) });
    } catch (e) {
      if (!isAppError(e)) throw e;
      [kind, text] = ['error', `Not cancelled: ${e.message}`];
    }
    setFlash(c, s.deps.sessionSecret, { kind, text }, s.now());
    return c.redirect(back, 303);
  });
}
