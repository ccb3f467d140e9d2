/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';
import type { FlashMessage } from '../session/flash-cookie.ts';
import { Csrf } from './csrf-field.tsx';
import type { PageContext } from './layout.tsx';

/** A message above a page's content: an outcome (ok), or what went wrong (error, announced at once). */
export function Flash(props: { kind: 'ok' | 'error'; children?: Child }) {
  return (
    <div class={`flash ${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/**
 * The one-time message a POST left for this page (post/redirect/get): its text, a new key's
 * plaintext shown this once, and an undo of the action while the notice is up.
 */
export function FlashBanner(props: { flash: FlashMessage; ctx: PageContext | undefined }) {
  const { flash, ctx } = props;
  return (
    <div class={`flash ${flash.kind}`} role={flash.kind === 'error' ? 'alert' : 'status'} data-flash>
      <span data-testid="flash-text">{flash.text}</span>
      {flash.created && (
        <>
          <p>
            Key <strong>{flash.created.name}</strong> created. Copy it now: it is shown this once and never
            stored.
          </p>
          <div class="secret" data-testid="new-key">
            {flash.created.key}
          </div>
        </>
      )}
      {flash.undo && ctx && (
        <form method="post" action="/console/failed/action" class="inline">
          <Csrf ctx={ctx} />
          <input type="hidden" name="op" value={flash.undo.op} />
          <input type="hidden" name="back" value={flash.undo.back} />
          {flash.undo.ids.map((id) => (
            <input type="hidden" name="id" value={id} />
          ))}{' '}
          <button type="submit" class="secondary" data-testid="undo">
            Undo
          </button>
        </form>
      )}
    </div>
  );
}
