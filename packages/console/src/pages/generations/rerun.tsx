/** @jsxImportSource hono/jsx */
import type { GenerationRecord } from '@genledger/core/contracts/generation';
import { HTTP_STATUS, isAppError } from '@genledger/core/errors';
import { rerunGeneration } from '@genledger/core/use-cases/rerun-generation';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleEnv, ConsoleServices } from '../../env.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { metadataOf } from '../../session/who.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import { Flash } from '../../ui/flash.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { render } from '../../ui/render.tsx';

/** Re-run, for an admin on a failed generation; asks first. */
export function RerunForm(props: { ctx: PageContext; g: GenerationRecord; admin: boolean }) {
  if (!props.admin || props.g.status !== 'failed') return null;
  return (
    <form method="post" action={`/console/generations/${props.g.id}/rerun`} class="actions">
      <Csrf ctx={props.ctx} />
      <button type="submit" data-confirm="Re-run this failed generation as a new attempt?">
        Re-run generation
      </button>
    </form>
  );
}

/**
 * POST /console/generations/:id/rerun (admins): failed → pending with its event and the key that
 * asked, then its message again; the outcome in the one-time flash. Anything not failed is
 * refused with a 409 page and nothing written.
 */
export function registerRerun(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  app.post('/generations/:id/rerun', async (c) => {
    const id = c.req.param('id');
    if (!z.uuid().safeParse(id).success) return c.text('not found', 404);
    if (!c.get('who').isAdmin)
      return render(c, 'Admins only', <Flash kind="error">Re-running needs an admin API key.</Flash>, {
        status: 403,
      });
    try {
      const { enqueued } = await rerunGeneration(s.deps, {
        id,
        owner: { admin: true },
        metadata: metadataOf(c),
      });
      const text = enqueued
        ? 'Re-run: pending again, its message sent.'
        : 'Re-run: pending again; the queue refused its message, maintenance sends it again.';
      setFlash(c, s.deps.sessionSecret, { kind: enqueued ? 'ok' : 'error', text }, s.now());
      return c.redirect(`/console/generations/${id}`, 303);
    } catch (e) {
      if (!isAppError(e)) throw e;
      const status = HTTP_STATUS[e.kind];
      return render(
        c,
        'Not re-run',
        <>
          <Flash kind="error">Not re-run: {e.message}</Flash>
          <p>
            <a href={`/console/generations/${id}`}>Back to the generation</a>
          </p>
        </>,
        { status },
      );
    }
  });
}
