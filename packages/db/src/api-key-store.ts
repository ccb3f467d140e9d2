import { streams } from '@genledger/core/contracts/events';
import { AppError, notFound } from '@genledger/core/errors';
import type { ApiKeySummary, ApiKeys, KeyCheck, NewApiKey } from '@genledger/core/ports/api-keys';
import type { Principal } from '@genledger/core/ports/principal';
import { type SQL, sql } from 'drizzle-orm';
import {
  type KeyAuthRow,
  type KeyCheckSlots,
  keyGateSql,
  principalOf,
  type SqlKeyGate,
  unauthorized,
} from './api-key-store/gate.ts';
import {
  generateKey,
  hashKey,
  MAX_KEY_LENGTH,
  MIN_ADMIN_KEY_LENGTH,
  prefixOf,
} from './api-key-store/key-material.ts';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import { fixedStatement, rowsOf } from './executor.ts';
import { columnTables, tablesFor } from './schema/tables.ts';
import { rowDecoder } from './table-rows.ts';

/** An api_keys row as a statement returns it (SQL names, driver values). */
type SummaryRow = Record<string, unknown>;

const SUMMARY_COLUMNS = sql.raw(
  'id, name, key_prefix, is_admin, rate_limit, created_at, last_used_at, expires_at, revoked_at',
);
const decodeKey = rowDecoder(() => columnTables().apiKeys);

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
  async authenticate(key: string | KeyCheck): Promise<Principal> {
    const check = typeof key === 'string' ? this.check(key) : key;
    const rows = await this.authenticateStatement<KeyAuthRow>(this.database.db, check);
    return principalOf(rows[0], check);
  }

  private readonly authenticateStatement = fixedStatement<{ prefix: string; hash: string }>(
    'gl_auth',
    (check) => sql`with ${this.gateSql(check, false)} select * from auth`,
  );

  /** The CTEs of `gateSql` for one bearer key, for a store to start its statement with. */
  gate(key: string | KeyCheck, adminOnly: boolean): SqlKeyGate {
    const check = typeof key === 'string' ? this.check(key) : key;
    return { check, adminOnly, ctes: (slots) => this.gateSql(slots, adminOnly) };
  }

  /** A bearer key's public prefix and hash, or 401 for a key no stored key can match. */
  check(key: string): KeyCheck {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw unauthorized('the API key is not valid');
    const hash = hashKey(key);
    return { prefix: prefixOf(key, hash), hash };
  }

  /**
   * The authentication of `authenticate` as CTEs another statement can start with
   * (api-key-store/gate.ts), bound to this store's table.
   */
  gateSql(check: KeyCheckSlots, adminOnly: boolean): SQL {
    return keyGateSql(this.table, check, adminOnly);
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
