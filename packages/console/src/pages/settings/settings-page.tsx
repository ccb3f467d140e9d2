/** @jsxImportSource hono/jsx */
import { SETTINGS } from '@genledger/core/contracts/settings';
import * as z from 'zod';
import type { ConsoleServices } from '../../env.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { Time } from '../../ui/time.tsx';

/**
 * The bounds a setting's schema puts on its value, as input attributes: a browser then refuses an
 * out-of-range number before it is sent, and says what range is allowed.
 */
function boundsOf(key: string): Record<string, number | string> {
  const setting = SETTINGS[key as keyof typeof SETTINGS];
  if (!setting) return {};
  const json = z.toJSONSchema(setting.schema, { unrepresentable: 'any' }) as Record<string, unknown>;
  const out: Record<string, number | string> = {};
  const put = (attr: string, v: unknown) => {
    if (typeof v === 'number') out[attr] = v;
  };
  put('min', json.minimum);
  put('max', json.maximum);
  put('minlength', json.minLength);
  put('maxlength', json.maxLength);
  if (json.type === 'integer') out.step = 1;
  else if (json.type === 'number') out.step = 'any';
  return out;
}

/** Every runtime setting, each with a form of its own. */
export async function SettingsPage(props: {
  s: ConsoleServices;
  ctx: PageContext;
  /** Per key: what is wrong, and the value as typed (kept in its field). */
  errors?: Record<string, { detail: string; typed: string }>;
}) {
  const settings = await props.s.deps.settings.list();
  return (
    <>
      <h1>Settings</h1>
      {settings.map((st) => {
        const id = `setting-${st.key.replace(/\W/g, '-')}`;
        const numeric = typeof SETTINGS[st.key as keyof typeof SETTINGS]?.default === 'number';
        const error = props.errors?.[st.key];
        return (
          <form method="post" action="/console/settings" class="card filters">
            <Csrf ctx={props.ctx} />
            <input type="hidden" name="key" value={st.key} />
            <label for={id}>
              <strong>{st.key}</strong>
              <span>{st.description}</span>
              <input
                id={id}
                type={numeric ? 'number' : 'text'}
                name="value"
                value={error ? error.typed : String(st.value)}
                {...boundsOf(st.key)}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? `${id}-error` : undefined}
              />
            </label>
            <span class="small muted">
              {st.isDefault ? (
                'default'
              ) : (
                <>
                  changed <Time at={st.updatedAt} />
                </>
              )}
            </span>
            <button type="submit">Save</button>
            {error && (
              <p id={`${id}-error`} class="flash error" role="alert">
                {error.detail}
              </p>
            )}
          </form>
        );
      })}
    </>
  );
}
