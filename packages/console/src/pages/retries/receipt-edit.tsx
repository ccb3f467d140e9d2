/** @jsxImportSource hono/jsx */
import type { RetryBatch } from '@genledger/core/contracts/failed-messages';
import { MessageFieldChange } from '@genledger/core/contracts/message-edit';
import * as z from 'zod';

const RecordedEdit = z.object({ changes: z.array(MessageFieldChange) });

/** A value as the edit recorded it: absent, a string as it is, anything else as JSON. */
const shown = (v: unknown) =>
  v === undefined ? <span class="muted">(absent)</span> : typeof v === 'string' ? v : JSON.stringify(v);

/** An edit-and-retry's batch: the fields its edit changed, before and after. Nothing for a plain retry. */
export function ReceiptEdit(props: { batch: RetryBatch }) {
  const edit = RecordedEdit.safeParse(props.batch.selector.edit);
  if (!edit.success) return null;
  return (
    <>
      <h2>Edit</h2>
      <div class="table-wrap">
        <table aria-label="What the edit changed">
          <thead>
            <tr>
              <th>field</th>
              <th>before</th>
              <th>after</th>
            </tr>
          </thead>
          <tbody>
            {edit.data.changes.map((ch) => (
              <tr data-change={ch.path}>
                <td>
                  <code>{ch.path}</code>
                </td>
                <td class="diff-before">{shown(ch.before)}</td>
                <td class="diff-after">{shown(ch.after)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
