/** @jsxImportSource hono/jsx */
import type { CappedCount } from '@genledger/core/ports/console-read-model';

/**
 * A capped count: exact up to the cap; past it the planner's estimate ("≈ 1,234,000") when it has
 * one, otherwise "10,000+". Exact counts stop at the cap because counting walks every row.
 */
export function Count(props: { c: CappedCount | undefined }) {
  const c = props.c ?? { n: 0, more: false };
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (!c.more) return <>{fmt(c.n)}</>;
  return c.estimate ? (
    <span title={`estimated from the database's statistics; exact counts stop at ${fmt(c.n)}`}>
      ≈ {fmt(c.estimate)}
    </span>
  ) : (
    <span title={`exact counts stop at ${fmt(c.n)}`}>{fmt(c.n)}+</span>
  );
}
