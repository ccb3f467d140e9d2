/** @jsxImportSource hono/jsx */
import { SETTINGS } from '@genledger/core/contracts/settings';
import type { ConsoleServices } from '../../env.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import { Flash } from '../../ui/flash.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { Time } from '../../ui/time.tsx';

/** Every runtime setting, each with a form of its own. */
export async function SettingsPage(props: {
  s: ConsoleServices;
  ctx: PageContext;
  errors?: Record<string, string>;
  saved?: string;
}) {
  const settings = await props.s.deps.settings.list();
  return (
    <>
      <h1>Settings</h1>
      {props.saved && <Flash kind="ok">Saved {props.saved}.</Flash>}
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
                value={String(st.value)}
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
                {error}
              </p>
            )}
          </form>
        );
      })}
    </>
  );
}
