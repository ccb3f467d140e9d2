/** @jsxImportSource hono/jsx */
import { SETTING_KEYS, SETTINGS } from '@genledger/core/contracts/settings';
import { isAppError } from '@genledger/core/errors';
import type { Hono } from 'hono';
import type { ConsoleEnv, ConsoleServices } from '../../env.ts';
import { form, one } from '../../http/form.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { metadataOf } from '../../session/who.ts';
import { render } from '../../ui/render.tsx';
import { SettingsPage } from './settings-page.tsx';

const SECTION = '/console/settings';

/** Runtime settings: each saved on its own; a bad value is shown beside its field, as typed, and not saved. */
export function registerSettingsPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  app.get('/settings', (c) =>
    render(c, 'Settings', <SettingsPage s={s} ctx={c.get('page')} />, {
      section: SECTION,
    }),
  );

  app.post('/settings', async (c) => {
    const body = await form(c);
    const key = one(body.key) ?? '';
    const text = (one(body.value) ?? '').trim();
    if (!(SETTING_KEYS as string[]).includes(key))
      return render(c, 'Settings', <SettingsPage s={s} ctx={c.get('page')} />, {
        status: 404,
        section: SECTION,
      });
    // A numeric setting's field sends text: a number goes on as one, a list as its comma-separated
    // items (the field shows it so), anything else as the text it is.
    const initial = SETTINGS[key as keyof typeof SETTINGS].default;
    const numeric = typeof initial === 'number';
    const value = Array.isArray(initial)
      ? text
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : numeric && /^-?\d+(\.\d+)?$/.test(text)
        ? Number(text)
        : text;
    try {
      await s.deps.settings.set(key, value, metadataOf(c));
    } catch (e) {
      if (!isAppError(e)) throw e;
      const detail = e.fieldErrors?.map((f) => f.message).join('; ') || e.message;
      // What was typed stays in the field, beside what is wrong with it.
      const page = <SettingsPage s={s} ctx={c.get('page')} errors={{ [key]: { detail, typed: text } }} />;
      return render(c, 'Settings', page, { status: 400, section: SECTION });
    }
    setFlash(c, s.deps.sessionSecret, { kind: 'ok', text: `Saved ${key}.` }, s.now());
    return c.redirect(SECTION, 303);
  });
}
