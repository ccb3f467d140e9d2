import { migrate, readMigrations } from '@genledger/db';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';

/**
 * migrations/*_idempotency_keys_as_utf8.sql: keys stored before the API read Idempotency-Key as
 * UTF-8 (its bytes as Latin-1) become the text the client sent, so a retry across the deploy
 * still finds its generation; anything that is not such a key is left alone.
 */
const dbs = useDatabases();
const TAG = /_idempotency_keys_as_utf8$/;
/** What the API stored for a header sent as UTF-8 bytes, before the change. */
const asStoredBefore = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
const latin1 = (bytes: number[]) => Buffer.from(bytes).toString('latin1');

describe.each(ALL_TARGETS)('the idempotency-key migration on %s', (target) => {
  it('rewrites HTTP keys stored as Latin-1 readings of UTF-8, and nothing else', async () => {
    const database = await dbs.open(target, { migrated: false });
    const all = readMigrations();
    const at = all.findIndex((m) => TAG.test(m.tag));
    expect(at).toBeGreaterThan(0);
    await migrate(database, { migrations: all.slice(0, at) });

    const keys = new ApiKeyStore(database, new EventStore(database));
    const a = (await keys.create({ name: 'a' })).summary!.id;
    const b = (await keys.create({ name: 'b' })).summary!.id;
    const cases: { owner: string | null; stored: string; after: string }[] = [
      { owner: a, stored: asStoredBefore('灯台🌅'), after: '灯台🌅' },
      { owner: a, stored: asStoredBefore('Grüße-€'), after: 'Grüße-€' },
      { owner: a, stored: asStoredBefore('cafe\u0301'), after: 'cafe\u0301' },
      { owner: a, stored: asStoredBefore('\uFEFFbom'), after: '\uFEFFbom' },
      // Not UTF-8 as bytes: a real Latin-1 é, an overlong "/", a surrogate's bytes, a cut sequence.
      { owner: a, stored: 'caf\u00e9', after: 'caf\u00e9' },
      { owner: a, stored: latin1([0x6b, 0xc0, 0xaf]), after: latin1([0x6b, 0xc0, 0xaf]) },
      { owner: a, stored: latin1([0x6b, 0xed, 0xa0, 0x80]), after: latin1([0x6b, 0xed, 0xa0, 0x80]) },
      { owner: a, stored: latin1([0x6b, 0xe7, 0x81]), after: latin1([0x6b, 0xe7, 0x81]) },
      // Decodes to U+FFFD: refused by the API today, so left as it was.
      { owner: a, stored: asStoredBefore('k\uFFFD'), after: asStoredBefore('k\uFFFD') },
      { owner: a, stored: 'order-42', after: 'order-42' },
      // Already text above U+00FF: not a Latin-1 reading.
      { owner: a, stored: `灯${asStoredBefore('é')}`, after: `灯${asStoredBefore('é')}` },
      // A queue producer's key (no owner) was always the text it sent.
      { owner: null, stored: asStoredBefore('é'), after: asStoredBefore('é') },
      // The owner already has a generation under the decoded key: both stay as they are.
      { owner: b, stored: '灯台', after: '灯台' },
      { owner: b, stored: asStoredBefore('灯台'), after: asStoredBefore('灯台') },
    ];
    const g = database.tables.generations;
    const ids: string[] = [];
    for (const c of cases) {
      const id = crypto.randomUUID();
      ids.push(id);
      await database.db.insert(g).values({ id, apiKeyId: c.owner, prompt: 'p', idempotencyKey: c.stored });
    }

    const report = await migrate(database);
    expect(report.applied).toEqual(all.slice(at).map((m) => m.tag));

    for (const [i, c] of cases.entries()) {
      const [row] = await database.db.select({ key: g.idempotencyKey }).from(g).where(eq(g.id, ids[i]!));
      // PGlite's reader drops a leading U+FEFF (test/api/idempotency-key-text.test.ts): compare past it.
      const read = target === 'pglite' ? c.after.replace(/^\uFEFF/, '') : c.after;
      expect(row?.key, JSON.stringify(c)).toBe(read);
    }
  });
});
