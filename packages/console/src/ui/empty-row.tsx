/** @jsxImportSource hono/jsx */
import type { Child } from 'hono/jsx';

/** The one row a table shows when it has none: a muted note across all its columns. */
export function EmptyRow(props: { cols: number; children?: Child }) {
  return (
    <tr>
      <td colspan={props.cols} class="muted">
        {props.children}
      </td>
    </tr>
  );
}
