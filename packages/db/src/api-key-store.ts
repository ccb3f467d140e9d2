import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { streams } from '@genledger/core/contracts/events';
import { AppError, notFound } from '@genledger/core/errors';
import type { ApiKeySummary, ApiKeys, KeyCheck, KeyGate, NewApiKey } from '@genledger/core/ports/api-keys';
import type { Principal } from '@genledger/core/ports/principal';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import { fixedStatement, rowsOf, type Slots } from './executor.ts';
import { GENERATED_SCHEMA, tablesFor } from './schema/tables.ts';
import { rowDecoder } from './table-rows.ts';

/**
 * API keys look like `gl_<prefix>_<secret>`: the 8-character prefix is public (stored, logged,
 * indexed), the 43-character secret carries 256 bits of entropy. Only the SHA-256 hex of the
 * whole key is stored, so a database leak reveals no usable key. A key of another shape (an
 * operator's ADMIN_API_KEY) gets a prefix derived from its hash, so nothing of it is ever shown.
 */
const KEY_PATTERN = /^gl_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,200})$/;
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Longest bearer token looked at: anything longer is rejected before any database work. */
export const MAX_KEY_LENGTH = 256;
export const MIN_ADMIN_KEY_LENGTH = 32;

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function prefixOf(key: string, hash = hashKey(key)): string {
  const m = KEY_PATTERN.exec(key);
  return m ? m[1]! : `h${hash.slice(0, 7)}`;
}

export function generateKey(): { key: string; prefix: string } {
  const bytes = randomBytes(8);
  let prefix = '';
  for (const b of bytes) prefix += ALPHANUM[b % ALPHANUM.length];
  return { key: `gl_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}

/** An api_keys row as a statement returns it (SQL names, driver values). */
type SummaryRow = Record<string, unknown>;

const SUMMARY_COLUMNS = sql.raw(
  'id, name, key_prefix, is_admin, rate_limit, created_at, last_used_at, expires_at, revoked_at',
);
const decodeKey = rowDecoder(tablesFor(GENERATED_SCHEMA).apiKeys);

function toSummary(raw: SummaryRow): ApiKeySummary {
  const k = decodeKey(raw);
  return {
    id: k.id,
    name: k.name,
    prefix: k.keyPrefix,
    isAdmin: k.isAdmin,
    rateLimit: k.rateLimit,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
  };
}

const unauthorized = (detail: string) => new AppError('unauthorized', detail);

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

/** The `auth` row of `ApiKeyStore.gateSql`; its columns are prefixed so work can sit beside them. */
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

export class ApiKeyStore implements ApiKeys {
  private readonly table;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    this.table = tablesFor(database.schema).apiKeys;
  }

  /**
   * Authenticates a bearer key, counts it against its per-minute window and stamps last_used_at —
   * one SQL statement, one round trip. The window lives in the key's row (fixed minute windows
   * on the database clock), so the limit holds across any number of Lambda instances: concurrent
   * requests on one key serialise on the row lock and each sees the count the previous one left.
   *
   * The row is found by its public prefix and hash; the hash returned is then compared in
   * constant time, which is the authoritative check. (The database's own equality on the hash
   * cannot leak the secret: an attacker controls only the preimage, not the hash bytes.)
   */
  async authenticate(key: string): Promise<Principal> {
    const check = this.check(key);
    const rows = await this.authenticateStatement<KeyAuthRow>(this.database.db, check);
    return principalOf(rows[0], check);
  }

  private readonly authenticateStatement = fixedStatement<{ prefix: string; hash: string }>(
    'gl_auth',
    (check) => sql`with ${this.gateSql(check, false)} select * from auth`,
  );

  /** The CTEs of `gateSql` for one bearer key, for a store to start its statement with. */
  gate(key: string, adminOnly: boolean): SqlKeyGate {
    const check = this.check(key);
    return { check, adminOnly, ctes: (slots) => this.gateSql(slots, adminOnly) };
  }

  /** A bearer key's public prefix and hash, or 401 for a key no stored key can match. */
  check(key: string): KeyCheck {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw unauthorized('the API key is not valid');
    const hash = hashKey(key);
    return { prefix: prefixOf(key, hash), hash };
  }

  /**
   * The authentication of `authenticate` as CTEs another statement can start with, so a request's
   * key check, rate-limit count and its work are one statement and one round trip:
   * - `auth`: one row for a known key (active or not) with what `principalOf` needs;
   * - `caller`: the key's id and admin flag, one row only when the key is active, within its
   *   rate limit and (with `adminOnly`) an admin key. Work that joins it does nothing otherwise.
   */
  gateSql(check: KeyCheckSlots, adminOnly: boolean): SQL {
    return sql`
      u as (
        update ${this.table} a set
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
        from ${this.table} k
        where k.key_prefix = ${check.prefix} and k.key_hash = ${check.hash} and not exists (select 1 from u)
      )`;
  }

  /** Creates a key and its ApiKeyCreated event in one statement; the plaintext is returned once. */
  async create(input: NewApiKey, metadata: Record<string, unknown> = {}, plaintext?: string) {
    const generated = plaintext === undefined ? generateKey() : undefined;
    const key = plaintext ?? generated!.key;
    const hash = hashKey(key);
    const prefix = generated?.prefix ?? prefixOf(key, hash);
    const id = crypto.randomUUID();
    const isAdmin = input.isAdmin ?? false;
    const event = {
      streamId: streams.apiKey(id),
      event: { type: 'ApiKeyCreated', apiKeyId: id, name: input.name, prefix, isAdmin },
      metadata,
    } as const;
    const [row] = await rowsOf<SummaryRow>(
      this.database.db.execute(sql`
        with k as (
          insert into ${this.table} (id, name, key_hash, key_prefix, is_admin, rate_limit, expires_at)
          values (${id}, ${input.name}, ${hash}, ${prefix}, ${isAdmin}, ${input.rateLimit ?? 100},
                  ${input.expiresAt ? input.expiresAt.toISOString() : null}::timestamptz)
          on conflict (key_hash) do nothing
          returning ${SUMMARY_COLUMNS}
        ), e as (${this.events.appendWhen('k', [event])})
        select * from k`),
    );
    return { summary: row ? toSummary(row) : undefined, key };
  }

  /**
   * Makes sure an operator-supplied key (ADMIN_API_KEY) exists as an admin key. Idempotent: a
   * second start finds it and changes nothing. A key that exists but was revoked, expired or is
   * not admin is reported, not silently restored: revoking it was somebody's decision.
   */
  async ensureAdminKey(
    plaintext: string,
    name = 'admin (ADMIN_API_KEY)',
  ): Promise<{ summary: ApiKeySummary; created: boolean; usable: boolean }> {
    if (
      plaintext.length < MIN_ADMIN_KEY_LENGTH ||
      plaintext.length > MAX_KEY_LENGTH ||
      /\s/.test(plaintext)
    ) {
      throw new AppError(
        'configuration',
        `ADMIN_API_KEY: must be ${MIN_ADMIN_KEY_LENGTH} to ${MAX_KEY_LENGTH} characters without whitespace`,
      );
    }
    const { summary } = await this.create({ name, isAdmin: true }, { source: 'ADMIN_API_KEY' }, plaintext);
    if (summary) return { summary, created: true, usable: true };
    const [row] = await rowsOf<SummaryRow>(
      this.database.db.execute(
        sql`select ${SUMMARY_COLUMNS} from ${this.table} where key_hash = ${hashKey(plaintext)}`,
      ),
    );
    const existing = toSummary(row!);
    const usable =
      existing.isAdmin &&
      existing.revokedAt === null &&
      (existing.expiresAt === null || existing.expiresAt > new Date());
    return { summary: existing, created: false, usable };
  }

  /** Whether any admin key can still be used (local start-up prints a new one when none can). */
  async hasUsableAdmin(): Promise<boolean> {
    const [row] = await rowsOf<{ present: boolean }>(
      this.database.db.execute(sql`
        select exists (select 1 from ${this.table}
                       where is_admin and revoked_at is null and (expires_at is null or expires_at > now())) as present`),
    );
    return row?.present === true;
  }

  async list(): Promise<ApiKeySummary[]> {
    const rows = await rowsOf<SummaryRow>(
      this.database.db.execute(sql`select ${SUMMARY_COLUMNS} from ${this.table} order by created_at, id`),
    );
    return rows.map(toSummary);
  }

  /** Revokes a key with its ApiKeyRevoked event in one statement; revoking twice changes nothing. */
  async revoke(id: string, metadata: Record<string, unknown> = {}): Promise<ApiKeySummary> {
    const [row] = await rowsOf<SummaryRow & { changed: boolean }>(
      this.database.db.execute(sql`
        with r as (
          update ${this.table} set revoked_at = now() where id = ${id} and revoked_at is null
          returning ${SUMMARY_COLUMNS}
        ), e as (${this.events.appendForEach('r', {
          stream: streams.apiKey(id),
          event: { type: 'ApiKeyRevoked', apiKeyId: id },
          metadata,
        })})
        select r.*, true as changed from r
        union all
        select ${SUMMARY_COLUMNS}, false from ${this.table} where id = ${id} and not exists (select 1 from r)`),
    );
    if (!row) throw notFound(`API key ${id} not found`);
    return toSummary(row);
  }
}
