import { MAX_IMAGE_SIDE, MIN_IMAGE_SIDE } from '@genledger/core/contracts/limits';
import { sql } from 'drizzle-orm';
import { timestamp } from 'drizzle-orm/pg-core';

/** Every timestamp is timestamptz, read as a Date. */
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/** The allowed image sides as the check's literal text (a bound value has no place in DDL). */
export const SIDES = sql.raw(`${MIN_IMAGE_SIDE} and ${MAX_IMAGE_SIDE}`);
/** A check that a column holds one of `values`, as literal DDL text. */
export const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);
