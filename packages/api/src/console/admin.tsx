/** @jsxImportSource hono/jsx */
import { EVENT_VERSIONS } from '@genledger/core/contracts/events';
import { SETTING_KEYS, SETTINGS } from '@genledger/core/contracts/settings';
import { calendarDate, text } from '@genledger/core/contracts/storable';
import { isAppError } from '@genledger/core/errors';
import type { Hono } from 'hono';
import * as z from 'zod';
import {
  type ConsoleEnv,
  type ConsoleServices,
  form,
  fragment,
  metadataOf,
  one,
  render,
} from './context.tsx';
import { Csrf, EmptyRow, Flash, type PageContext, Time } from './layout.tsx';
import { EVENT_SEARCH_WINDOW } from './queries.ts';

const EVENT_PAGE = 50;
const EVENT_TYPES = Object.keys(EVENT_VERSIONS).sort();
const WINDOW = EVENT_SEARCH_WINDOW.toLocaleString('en-US');

async function EventFeed(props: { s: ConsoleServices; type?: string; stream?: string }) {
  const events = await props.s.queries.recentEvents({ type: props.type, stream: props.stream }, EVENT_PAGE);
  const filtered = Boolean(props.type || props.stream);
  const qs = new URLSearchParams();
  if (props.type) qs.set('type', props.type);
  if (props.stream) qs.set('stream', props.stream);
  return (
    <div
      id="event-feed"
      hx-get={`/console/events/live?${qs}`}
      hx-trigger="every 2s, console:visible"
      hx-swap="outerHTML"
      data-poll
    >
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th class="num">seq</th>
              <th>stored</th>
              <th>type</th>
              <th>stream</th>
              <th class="hide-narrow">payload</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const generation = /^generation-(.+)$/.exec(e.streamId)?.[1];
              const failed = /^failed-message-(.+)$/.exec(e.streamId)?.[1];
              return (
                <tr data-row>
                  <td class="num">{e.sequence}</td>
                  <td>
                    <Time at={e.storedAt} />
                  </td>
                  <td>{e.type}</td>
                  <td class="small">
                    {generation ? (
                      <a href={`/console/generations/${generation}`}>{e.streamId.slice(0, 24)}…</a>
                    ) : failed ? (
                      <a href={`/console/failed/messages/${failed}`}>{e.streamId.slice(0, 28)}…</a>
                    ) : (
                      e.streamId
                    )}{' '}
                    <span class="muted">v{e.streamVersion}</span>
                  </td>
                  <td class="hide-narrow small">
                    <code>{JSON.stringify(e.payload).slice(0, 160)}</code>
                  </td>
                </tr>
              );
            })}
            {events.length === 0 && (
              <EmptyRow cols={5}>
                {filtered ? `No events match among the newest ${WINDOW}.` : 'No recent events.'}
              </EmptyRow>
            )}
          </tbody>
        </table>
      </div>
      {filtered && (
        <p class="muted small">
          Filters search the newest {WINDOW} events; older ones are in the feed (<code>GET /events</code>) and
          on each generation's page.
        </p>
      )}
    </div>
  );
}

const CreateKeyForm = z.object({
  name: text().trim().min(1, 'a name is required').max(255),
  isAdmin: z.boolean(),
  rateLimit: z.coerce.number().int('a whole number').min(1).max(1_000_000),
  expiresAt: calendarDate().optional(),
});

async function KeysPage(props: {
  s: ConsoleServices;
  ctx: PageContext;
  created?: { key: string; name: string };
  error?: string;
}) {
  const keys = await props.s.deps.apiKeys.list();
  return (
    <>
      <h1>API keys</h1>
      {props.created && (
        <div class="flash ok" role="status">
          <p>
            Key <strong>{props.created.name}</strong> created. Copy it now: it is shown this once and never
            stored.
          </p>
          <div class="secret" data-testid="new-key">
            {props.created.key}
          </div>
        </div>
      )}
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <form method="post" action="/console/keys" class="filters card">
        <Csrf ctx={props.ctx} />
        <label>
          Name
          <input type="text" name="name" required maxlength={255} />
        </label>
        <label>
          Requests per minute
          <input type="number" name="rateLimit" value="100" min={1} max={1000000} required />
        </label>
        <label>
          Expires (optional)
          <input type="date" name="expiresAt" />
        </label>
        <label class="small">
          <span>
            <input type="checkbox" name="isAdmin" value="1" /> admin
          </span>
        </label>
        <button type="submit">Create key</button>
      </form>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>name</th>
              <th>prefix</th>
              <th>role</th>
              <th class="num hide-narrow">rate / min</th>
              <th class="hide-narrow">created</th>
              <th class="hide-narrow">last used</th>
              <th>state</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr data-row>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td>{k.isAdmin ? 'admin' : 'client'}</td>
                <td class="num hide-narrow">{k.rateLimit}</td>
                <td class="hide-narrow">
                  <Time at={k.createdAt} />
                </td>
                <td class="hide-narrow">
                  <Time at={k.lastUsedAt} />
                </td>
                <td>
                  {k.revokedAt ? (
                    <span class="badge s-cancelled">revoked</span>
                  ) : k.expiresAt && k.expiresAt.getTime() <= Date.now() ? (
                    <span class="badge s-cancelled">expired</span>
                  ) : (
                    <span class="badge s-completed">active</span>
                  )}
                </td>
                <td>
                  {!k.revokedAt && k.id !== props.ctx.who.id && (
                    <form method="post" action={`/console/keys/${k.id}/revoke`}>
                      <Csrf ctx={props.ctx} />
                      <button type="submit" class="danger" aria-label={`Revoke key ${k.name}`}>
                        Revoke
                      </button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

async function SettingsPage(props: {
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

export function registerAdminPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;

  app.get('/events', async (c) => {
    const type = c.req.query('type') || undefined;
    const stream = c.req.query('stream')?.trim().slice(0, 200) || undefined;
    const validType = type && (EVENT_TYPES as readonly string[]).includes(type) ? type : undefined;
    return render(
      c,
      'Event log',
      <>
        <h1>Event log</h1>
        <form class="filters" method="get" action="/console/events" aria-label="Filters">
          <label>
            Type
            <select name="type">
              <option value="">any</option>
              {EVENT_TYPES.map((t) => (
                <option value={t} selected={t === validType}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Stream (id or prefix)
            <input type="search" name="stream" value={stream ?? ''} data-search placeholder="generation-…" />
          </label>
          <button type="submit">Filter</button>
        </form>
        <p class="small muted">
          Newest first, the latest {EVENT_PAGE}; live: refreshed every 2 s while this tab is visible.
        </p>
        <EventFeed s={s} type={validType} stream={stream} />
      </>,
      { section: '/console/events' },
    );
  });

  app.get('/events/live', async (c) => {
    const type = c.req.query('type') || undefined;
    const validType = type && (EVENT_TYPES as readonly string[]).includes(type) ? type : undefined;
    return fragment(
      c,
      <EventFeed s={s} type={validType} stream={c.req.query('stream')?.slice(0, 200) || undefined} />,
    );
  });

  app.get('/keys', (c) =>
    render(c, 'API keys', <KeysPage s={s} ctx={c.get('page')} />, { section: '/console/keys' }),
  );

  app.post('/keys', async (c) => {
    const body = await form(c);
    const parsed = CreateKeyForm.safeParse({
      name: one(body.name) ?? '',
      isAdmin: one(body.isAdmin) === '1',
      rateLimit: one(body.rateLimit) ?? '100',
      expiresAt: one(body.expiresAt) || undefined,
    });
    const page = (extra: { created?: { key: string; name: string }; error?: string }, status = 200) =>
      render(c, 'API keys', <KeysPage s={s} ctx={c.get('page')} {...extra} />, {
        section: '/console/keys',
        status,
      });
    if (!parsed.success) {
      return page(
        { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') },
        400,
      );
    }
    const expiresAt = parsed.data.expiresAt ? new Date(`${parsed.data.expiresAt}T23:59:59Z`) : null;
    if (expiresAt && expiresAt.getTime() <= s.now())
      return page({ error: 'expiresAt: must be in the future' }, 400);
    const { summary, key } = await deps.apiKeys.create(
      { name: parsed.data.name, isAdmin: parsed.data.isAdmin, rateLimit: parsed.data.rateLimit, expiresAt },
      metadataOf(c),
    );
    if (!summary) throw new Error('generated API key collided with an existing one');
    // The key is in this response body only: never in a URL, a redirect or a log line.
    return page({ created: { key, name: summary.name } }, 201);
  });

  app.post('/keys/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!z.uuid().safeParse(id).success)
      return render(c, 'Not found', <Flash kind="error">No such key</Flash>, { status: 404 });
    if (id === c.get('who').id) {
      return render(
        c,
        'API keys',
        <KeysPage s={s} ctx={c.get('page')} error="You cannot revoke the key you are signed in with." />,
        {
          status: 409,
          section: '/console/keys',
        },
      );
    }
    await deps.apiKeys.revoke(id, metadataOf(c));
    return c.redirect('/console/keys', 303);
  });

  app.get('/settings', (c) =>
    render(c, 'Settings', <SettingsPage s={s} ctx={c.get('page')} saved={c.req.query('saved')} />, {
      section: '/console/settings',
    }),
  );

  app.post('/settings', async (c) => {
    const body = await form(c);
    const key = one(body.key) ?? '';
    const text = (one(body.value) ?? '').trim();
    if (!(SETTING_KEYS as string[]).includes(key)) {
      return render(c, 'Settings', <SettingsPage s={s} ctx={c.get('page')} />, {
        status: 404,
        section: '/console/settings',
      });
    }
    const numeric = typeof SETTINGS[key as keyof typeof SETTINGS].default === 'number';
    const value = numeric && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    try {
      await deps.settings.set(key, value, metadataOf(c));
    } catch (e) {
      if (!isAppError(e)) throw e;
      const detail = e.fieldErrors?.map((f) => f.message).join('; ') || e.message;
      return render(c, 'Settings', <SettingsPage s={s} ctx={c.get('page')} errors={{ [key]: detail }} />, {
        status: 400,
        section: '/console/settings',
      });
    }
    return c.redirect(`/console/settings?saved=${encodeURIComponent(key)}`, 303);
  });
}
