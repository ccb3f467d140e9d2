/** @jsxImportSource hono/jsx */
import type { ApiKeySummary } from '@genledger/core/ports/api-keys';
import type { ConsoleServices } from '../../env.ts';
import { Csrf } from '../../ui/csrf-field.tsx';
import { Flash } from '../../ui/flash.tsx';
import type { PageContext } from '../../ui/layout.tsx';
import { Time } from '../../ui/time.tsx';

function NewKeyForm(props: { ctx: PageContext }) {
  return (
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
  );
}

function KeyState(props: { k: ApiKeySummary }) {
  const { k } = props;
  if (k.revokedAt) return <span class="badge s-cancelled">revoked</span>;
  if (k.expiresAt && k.expiresAt.getTime() <= Date.now())
    return <span class="badge s-cancelled">expired</span>;
  return <span class="badge s-completed">active</span>;
}

/** A key's row; every key but the signed-in one can be revoked from here. */
function KeyRow(props: { ctx: PageContext; k: ApiKeySummary }) {
  const { k } = props;
  return (
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
        <KeyState k={k} />
      </td>
      <td>
        {!k.revokedAt && k.id !== props.ctx.who.id && (
          <form method="post" action={`/console/keys/${k.id}/revoke`}>
            <Csrf ctx={props.ctx} />
            <button
              type="submit"
              class="danger"
              aria-label={`Revoke key ${k.name}`}
              data-confirm={`Revoke key ${k.name}? Its requests and console sessions stop at once.`}
            >
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

/** The API keys: a form to create one (its plaintext shown once), and every key with its state. */
export async function KeysPage(props: { s: ConsoleServices; ctx: PageContext; error?: string }) {
  const keys = await props.s.deps.apiKeys.list();
  return (
    <>
      <h1>API keys</h1>
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <NewKeyForm ctx={props.ctx} />
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
              <th>
                <span class="skip">actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <KeyRow ctx={props.ctx} k={k} />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
