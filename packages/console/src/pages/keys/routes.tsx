import { canonicalId } from '@genledger/core/contracts/ids';
/** @jsxImportSource hono/jsx */
import { calendarDate, text } from '@genledger/core/contracts/storable';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { metadataOf } from '../../session/who.ts';
import { Flash } from '../../ui/flash.tsx';
import { render } from '../../ui/render.tsx';
import { KeysPage } from './keys-page.tsx';

const SECTION = '/console/keys';

const CreateKeyForm = z.object({
  name: text().trim().min(1, 'a name is required').max(255),
  isAdmin: z.boolean(),
  rateLimit: z.coerce.number().int('a whole number').min(1).max(1_000_000),
  expiresAt: calendarDate().optional(),
});

/**
 * A new key from the form, then a redirect (post/redirect/get: a reload creates nothing) to the
 * keys page, which shows the plaintext once from the sealed one-time flash: never in a URL or a
 * log line. A bad form is shown again with what is wrong, and nothing is created.
 */
async function createKey(c: ConsoleContext, s: ConsoleServices) {
  const body = await form(c);
  const parsed = CreateKeyForm.safeParse({
    name: one(body.name) ?? '',
    isAdmin: one(body.isAdmin) === '1',
    rateLimit: one(body.rateLimit) ?? '100',
    expiresAt: one(body.expiresAt) || undefined,
  });
  const page = (extra: { error: string }, status: number) =>
    render(c, 'API keys', <KeysPage s={s} ctx={c.get('page')} {...extra} />, { section: SECTION, status });
  if (!parsed.success)
    return page(
      { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') },
      400,
    );
  const expiresAt = parsed.data.expiresAt ? new Date(`${parsed.data.expiresAt}T23:59:59Z`) : null;
  if (expiresAt && expiresAt.getTime() <= s.now())
    return page({ error: 'expiresAt: must be in the future' }, 400);
  const { summary, key } = await s.deps.apiKeys.create(
    { name: parsed.data.name, isAdmin: parsed.data.isAdmin, rateLimit: parsed.data.rateLimit, expiresAt },
    metadataOf(c),
  );
  if (!summary) throw new Error('generated API key collided with an existing one');
  setFlash(c, s.deps.sessionSecret, { kind: 'ok', text: '', created: { key, name: summary.name } }, s.now());
  return c.redirect(SECTION, 303);
}

/** API keys: the list, creating one, revoking one (never the key signed in with). */
export function registerKeyPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  app.get('/keys', (c) =>
    render(c, 'API keys', <KeysPage s={s} ctx={c.get('page')} />, { section: SECTION }),
  );

  app.post('/keys', (c) => createKey(c, s));

  app.post('/keys/:id/revoke', async (c) => {
    const id = canonicalId(c.req.param('id'));
    if (!z.uuid().safeParse(id).success)
      return render(c, 'Not found', <Flash kind="error">No such key</Flash>, { status: 404 });
    if (id === c.get('who').id) {
      const refused = (
        <KeysPage s={s} ctx={c.get('page')} error="You cannot revoke the key you are signed in with." />
      );
      return render(c, 'API keys', refused, { status: 409, section: SECTION });
    }
    const revoked = await s.deps.apiKeys.revoke(id, metadataOf(c));
    setFlash(c, s.deps.sessionSecret, { kind: 'ok', text: `Key ${revoked.name} revoked.` }, s.now());
    return c.redirect(SECTION, 303);
  });
}
