import type { PreparedEvent } from './append-statement.ts';

/**
 * Streams this process recently lost an append race on. Appends to them skip the optimistic try
 * (which would likely lose again and cost a round trip) for a few seconds. Bounded: when full,
 * the oldest entries go first.
 */
export class ContendedStreams {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly holdMs = 5000,
    private readonly max = 1000,
  ) {}

  isHot(rows: readonly PreparedEvent[], now: number): boolean {
    if (this.until.size === 0) return false;
    for (const r of rows) {
      const t = this.until.get(r.stream_id);
      if (t === undefined) continue;
      if (t > now) return true;
      this.until.delete(r.stream_id);
    }
    return false;
  }

  mark(rows: readonly PreparedEvent[], now: number): void {
    for (const r of rows) {
      this.until.delete(r.stream_id);
      this.until.set(r.stream_id, now + this.holdMs);
      if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
    }
  }
}
