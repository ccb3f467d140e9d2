// Database round trips, counted by wrapping pg's Client#query: every query is one round trip.
import pg from 'pg';

export function countRoundTrips() {
  const original = pg.Client.prototype.query;
  let count = 0;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
    restore() {
      pg.Client.prototype.query = original;
    },
  };
}
