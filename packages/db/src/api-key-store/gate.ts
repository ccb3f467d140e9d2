import { timingSafeEqual } from 'node:crypto';
import { AppError } from '@genledger/core/errors';
import type { KeyCheck, KeyGate } from '@genledger/core/ports/api-keys';
import type { Principal } from '@genledger/core/ports/principal';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { fixedStatement, type Slots } from '../executor.ts';

export const unauthorized = (detail: string) => new AppError('unauthorized', detail);

/**
 * A request's key check as the opening CTEs of a store's statement (`ApiKeyStore.gate`): the work
 * joins `caller`, so it happens only for an active key within its rate limit.
 */
export interface SqlKeyGate extends KeyGate {
  /**
   * The CTEs for a key check: `gate.ctes(gate.check)`, or placeholders for its prefix and hash in
   * a statement compiled once (`fixedStatement`).
   */
  ctes: (check: KeyCheckSlots) => SQL;
}

/** A key check's values, or placeholders for them. */
export type KeyCheckSlots = { [K in keyof KeyCheck]: KeyCheck[K] | Placeholder };

/**
 * A statement that starts with a key gate, compiled once per kind of gate (admin-only or not): the
 * gate's CTEs are the only part of its text a request's gate changes. `build` is used on the first
 * call for each kind; it gets the gate's CTEs for the statement's own placeholders.
 */
export function gatedStatement<V extends KeyCheck & Record<string, unknown>>(label: string) {
  const byKind = new Map<boolean, ReturnType<typeof fixedStatement<V>>>();
  return (gate: KeyGate, build: (ctes: SQL, slots: Slots<V>) => SQL) => {
    let statement = byKind.get(gate.adminOnly);
    if (!statement) {
      const { ctes } = sqlGate(gate);
      statement = fixedStatement<V>(label, (slots) => build(ctes(slots), slots));
      byKind.set(gate.adminOnly, statement);
    }
    return statement;
  };
}

/** The gate as `ApiKeyStore.gate` made it; a gate from anywhere else is a wiring mistake. */
function sqlGate(gate: KeyGate): SqlKeyGate {
  if (typeof (gate as Partial<SqlKeyGate>).ctes !== 'function')
    throw new Error('a key gate must come from ApiKeyStore.gate');
  return gate as SqlKeyGate;
}

/** Whether the work of a gated statement ran: what `caller` lets through. */
export const gateAdmits = (gate: KeyGate, p: Principal) => !p.rate.limited && (!gate.adminOnly || p.isAdmin);

/** The `auth` row of `keyGateSql`; its columns are prefixed so work can sit beside them. */
export interface KeyAuthRow {
  key_active: boolean;
  key_id: string;
  key_hash: string;
  key_admin: boolean;
  key_rate_limit: number;
  key_window_count: number;
  key_reset_seconds: number;
  key_revoked: boolean;
}

/**
 * The principal of an `auth` row: 401 when there is none, or the key is revoked or expired. Rate
 * limiting and admin access are the edge's to judge (it sets the rate headers either way).
 */
export function principalOf(row: KeyAuthRow | undefined, check: KeyCheck): Principal {
  if (!row || !timingSafeEqual(Buffer.from(row.key_hash, 'utf8'), Buffer.from(check.hash, 'utf8'))) {
    throw unauthorized('the API key is not valid');
  }
  if (!row.key_active)
    throw unauthorized(row.key_revoked ? 'the API key has been revoked' : 'the API key has expired');
  const limit = row.key_rate_limit;
  const count = row.key_window_count;
  return {
    apiKeyId: row.key_id,
    prefix: check.prefix,
    isAdmin: row.key_admin,
    rate: {
      limit,
      remaining: Math.max(0, limit - count),
      resetSeconds: Math.max(1, row.key_reset_seconds),
      limited: count > limit,
    },
  };
}

/**
 * The authentication of `authenticate` as CTEs another statement can start with, so a request's
 * key check, rate-limit count and its work are one statement and one round trip:
 * - `auth`: one row for a known key (active or not) with what `principalOf` needs;
 * - `caller`: the key's id and admin flag, one row only when the key is active, within its
 *   rate limit and (with `adminOnly`) an admin key. Work that joins it does nothing otherwise.
 */
export function keyGateSql(table: PgTable, check: KeyCheckSlots, adminOnly: boolean): SQL {
  return sql`
      u as (
        update ${table} a set
          last_used_at = now(),
          rate_window_count = case when a.rate_window_start = date_trunc('minute', now())
                                   then a.rate_window_count + 1 else 1 end,
          rate_window_start = date_trunc('minute', now())
        where a.key_prefix = ${check.prefix} and a.key_hash = ${check.hash}
          and a.revoked_at is null and (a.expires_at is null or a.expires_at > now())
        returning a.id, a.key_hash, a.is_admin, a.rate_limit, a.rate_window_count
      ), caller as (
        select u.id, u.is_admin from u
        where u.rate_window_count <= u.rate_limit ${adminOnly ? sql`and u.is_admin` : sql``}
      ), auth as (
        select true as key_active, u.id as key_id, u.key_hash, u.is_admin as key_admin, u.rate_limit as key_rate_limit,
               u.rate_window_count as key_window_count,
               ceil(extract(epoch from (date_trunc('minute', now()) + interval '1 minute' - now())))::int as key_reset_seconds,
               false as key_revoked
        from u
        union all
        select false, k.id, k.key_hash, k.is_admin, k.rate_limit, 0, 0, k.revoked_at is not null
        from ${table} k
        where k.key_prefix = ${check.prefix} and k.key_hash = ${check.hash} and not exists (select 1 from u)
      )`;
}
