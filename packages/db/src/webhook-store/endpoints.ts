import { type EventOf, streams } from '@genledger/core/contracts/events';
import {
  MAX_WEBHOOK_ENDPOINTS_PER_KEY,
  PING_EVENT,
  type WebhookEventType,
} from '@genledger/core/contracts/webhooks';
import type { Owner } from '@genledger/core/ports/principal';
import type { EndpointChanges, EndpointRecord, WebhookEndpoints } from '@genledger/core/ports/webhooks';
import { auditTarget } from '@genledger/core/webhooks/audit-target';
import { and, asc, eq, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../connect.ts';
import type { EventStore } from '../event-store.ts';
import { type Executor, rowsOf } from '../executor.ts';

type AuditEvent = EventOf<
  | 'WebhookEndpointCreated'
  | 'WebhookEndpointChanged'
  | 'WebhookEndpointSecretRotated'
  | 'WebhookEndpointDeleted'
>;
type Metadata = Record<string, unknown> | undefined;

type Row = Database['tables']['webhookEndpoints']['$inferSelect'];

const toRecord = (r: Row): EndpointRecord => ({
  id: r.id,
  apiKeyId: r.apiKeyId,
  url: r.url,
  events: r.events as WebhookEventType[],
  description: r.description,
  disabledAt: r.disabledAt,
  disabledReason: r.disabledReason ?? null,
  failingSince: r.failingSince,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/**
 * Endpoints, each call scoped to what the owner may see: an admin every key's, a key its own. Every
 * change commits with its audit event on the endpoint's stream, in one transaction.
 */
export class WebhookEndpointStore implements WebhookEndpoints {
  constructor(
    private readonly database: Pick<Database, 'db' | 'tables'>,
    private readonly events: EventStore,
  ) {}

  /** `change` within a transaction; its audit event appended there when it changed a row. */
  private audited<T>(
    metadata: Metadata,
    change: (tx: Executor) => Promise<{ result: T; event?: AuditEvent }>,
  ): Promise<T> {
    return this.database.db.transaction(async (tx) => {
      const { result, event } = await change(tx);
      if (event)
        await this.events.appendAll(
          [{ streamId: streams.webhookEndpoint(event.endpointId), event, ...(metadata ? { metadata } : {}) }],
          { tx },
        );
      return result;
    });
  }

  private get t() {
    return this.database.tables.webhookEndpoints;
  }

  private scoped(id: string, owner: Owner): SQL {
    return owner.admin ? eq(this.t.id, id) : and(eq(this.t.id, id), eq(this.t.apiKeyId, owner.apiKeyId))!;
  }

  async create(
    input: Parameters<WebhookEndpoints['create']>[0],
    metadata?: Metadata,
  ): Promise<EndpointRecord | undefined> {
    const t = this.t;
    const id = await this.audited(metadata, async (tx) => {
      // One statement: the count and the insert see the same rows, so two racing creates cannot both pass the limit.
      const [row] = await rowsOf<{ id: string }>(
        tx.execute(sql`
          insert into ${t} (id, api_key_id, url, events, description, secret)
          select gen_random_uuid(), ${input.apiKeyId}, ${input.url}, ${sql.param(input.events)}::text[],
                 ${input.description}, ${input.sealedSecret}
          where (select count(*) from ${t} where api_key_id = ${input.apiKeyId}) < ${MAX_WEBHOOK_ENDPOINTS_PER_KEY}
          returning id`),
      );
      if (!row) return { result: undefined };
      return {
        result: row.id,
        event: {
          type: 'WebhookEndpointCreated',
          endpointId: row.id,
          apiKeyId: input.apiKeyId,
          target: auditTarget(input.url),
          events: input.events,
        },
      };
    });
    return id ? this.get(id, { admin: true }) : undefined;
  }

  async list(owner: Owner): Promise<EndpointRecord[]> {
    const t = this.t;
    const rows = await this.database.db
      .select()
      .from(t)
      .where(owner.admin ? undefined : eq(t.apiKeyId, owner.apiKeyId))
      .orderBy(asc(t.createdAt), asc(t.id));
    return rows.map(toRecord);
  }

  async get(id: string, owner: Owner): Promise<EndpointRecord | undefined> {
    const [row] = await this.database.db.select().from(this.t).where(this.scoped(id, owner));
    return row ? toRecord(row) : undefined;
  }

  async update(
    id: string,
    owner: Owner,
    changes: EndpointChanges,
    metadata?: Metadata,
  ): Promise<EndpointRecord | undefined> {
    const set: Partial<Row> & { updatedAt: Date } = { updatedAt: new Date() };
    if (changes.url !== undefined) set.url = changes.url;
    if (changes.events !== undefined) set.events = changes.events;
    if (changes.description !== undefined) set.description = changes.description;
    // Enabled again, it starts with a clean record: an old streak would disable it at its first failure.
    if (changes.enabled === true)
      Object.assign(set, { disabledAt: null, disabledReason: null, failingSince: null });
    if (changes.enabled === false) Object.assign(set, { disabledAt: new Date(), disabledReason: 'operator' });
    return this.audited(metadata, async (tx) => {
      const [row] = await tx.update(this.t).set(set).where(this.scoped(id, owner)).returning();
      if (!row) return { result: undefined };
      return {
        result: toRecord(row),
        event: {
          type: 'WebhookEndpointChanged',
          endpointId: row.id,
          apiKeyId: row.apiKeyId,
          ...(changes.url !== undefined ? { target: auditTarget(changes.url) } : {}),
          ...(changes.events !== undefined ? { events: changes.events } : {}),
          ...(changes.description !== undefined ? { descriptionChanged: true as const } : {}),
          ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
        },
      };
    });
  }

  async delete(id: string, owner: Owner, metadata?: Metadata): Promise<boolean> {
    return this.audited(metadata, async (tx) => {
      const [row] = await tx
        .delete(this.t)
        .where(this.scoped(id, owner))
        .returning({ id: this.t.id, apiKeyId: this.t.apiKeyId });
      if (!row) return { result: false };
      return {
        result: true,
        event: { type: 'WebhookEndpointDeleted', endpointId: row.id, apiKeyId: row.apiKeyId },
      };
    });
  }

  async rotate(
    id: string,
    owner: Owner,
    sealedSecret: string,
    overlapUntil: Date,
    metadata?: Metadata,
  ): Promise<EndpointRecord | undefined> {
    const t = this.t;
    return this.audited(metadata, async (tx) => {
      const [row] = await tx
        .update(t)
        .set({
          previousSecret: sql`${t.secret}`,
          previousSecretExpiresAt: overlapUntil,
          secret: sealedSecret,
          updatedAt: new Date(),
        })
        .where(this.scoped(id, owner))
        .returning();
      if (!row) return { result: undefined };
      return {
        result: toRecord(row),
        event: {
          type: 'WebhookEndpointSecretRotated',
          endpointId: row.id,
          apiKeyId: row.apiKeyId,
          overlapUntil: overlapUntil.toISOString(),
        },
      };
    });
  }

  async ping(id: string, owner: Owner): Promise<string | undefined> {
    const t = this.t;
    const d = this.database.tables.webhookDeliveries;
    const rows = await rowsOf<{ id: string }>(
      this.database.db.execute(sql`
        insert into ${d} (endpoint_id, event_type)
        select id, ${PING_EVENT} from ${t} where ${this.scoped(id, owner)}
        returning id`),
    );
    return rows[0]?.id;
  }

  async defaultSecret(apiKeyId: string, sealedIfMissing: string): Promise<string> {
    const k = this.database.tables.apiKeys;
    const [row] = await this.database.db
      .update(k)
      .set({ webhookSecret: sql`coalesce(${k.webhookSecret}, ${sealedIfMissing})` })
      .where(eq(k.id, apiKeyId))
      .returning({ secret: k.webhookSecret });
    if (!row?.secret) throw new Error(`no API key ${apiKeyId}`);
    return row.secret;
  }
}
