import { EventStore } from '@genledger/db/event-store';
import { SettingsStore } from '@genledger/db/settings-store';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { emfDocument, type MetricLine } from '@genledger/wiring/emf-metrics';
import { describe, expect, it } from 'vitest';
import { meteredGenerator } from '../../packages/wiring/src/metered.ts';
import { modelDimensions } from '../../packages/wiring/src/metric-dimensions.ts';
import { useDatabases } from '../support/databases.ts';
import { message, sqsEvent, sqsRecord } from '../support/sqs-events.ts';

const dbs = useDatabases();
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const DISTINCT = 1000;

/** The dimension sets the EMF lines declare, as CloudWatch would count metrics: name and values. */
const metricsOf = (lines: MetricLine[]) =>
  new Set(lines.map((l) => JSON.stringify(Object.entries(l.dimensions).sort())));

describe('metric dimensions', () => {
  it('stay a bounded set after 1,000 distinct client-chosen models, and no model text reaches a metric line', async () => {
    const database = await dbs.open('pglite', { schema: 'metric_dimensions' });
    const settings = new SettingsStore(database, new EventStore(database));
    await settings.set('metrics.models', ['sdxl', 'flux-dev']);
    const lines: MetricLine[] = [];
    const sink = (l: MetricLine) => void lines.push(l);
    let n = 0;
    const generator = meteredGenerator(
      {
        name: 'test',
        async generate() {
          if (n++ % 2) throw new TypeError('backend down');
          return { outputs: [] };
        },
      },
      sink,
      modelDimensions(settings),
    );
    const models = Array.from({ length: DISTINCT }, (_, i) => `attacker-model-${i}-${'x'.repeat(i % 50)}`);
    for (const model of [...models, 'sdxl', 'flux-dev']) {
      const job = { generationId: crypto.randomUUID(), attempt: 1, request: { ...message().request, model } };
      await generator.generate(job as never).catch(() => undefined);
    }

    const handler = createDeadLetterHandler({
      deps: async () => ({ ...deadLetterDeps(database, {}, sink), logger: silent }),
    });
    const dead = models
      .slice(0, 50)
      .map((model) => sqsRecord(message({ request: { prompt: 'p', model } }), { receiveCount: 3 }));
    expect((await handler(sqsEvent(...dead))).batchItemFailures).toEqual([]);

    expect(lines.length).toBe(DISTINCT + 2 + 50);
    // Two listed models and `other`, by two outcomes, plus the dead-letter metric's two.
    expect(metricsOf(lines).size).toBeLessThanOrEqual(3 * 2 + 2);
    expect(new Set(lines.map((l) => l.dimensions.model))).toEqual(new Set(['sdxl', 'flux-dev', 'other']));
    const documents = lines.map((l) => JSON.stringify(emfDocument(l)));
    expect(documents.filter((d) => d.includes('attacker-model'))).toEqual([]);
  });

  it('counts a model under its own name once the setting lists it, within the TTL, and as other if the setting cannot be read', async () => {
    const database = await dbs.open('pglite', { schema: 'metric_dimensions_ttl' });
    const settings = new SettingsStore(database, new EventStore(database));
    let now = 0;
    const dimension = modelDimensions(settings, { ttlMs: 1000, now: () => now });
    expect(await dimension('flux-dev')).toBe('other');
    expect(await dimension('sdxl')).toBe('sdxl');
    expect(await dimension(null)).toBe('other');
    await settings.set('metrics.models', ['flux-dev']);
    expect(await dimension('flux-dev')).toBe('other');
    now = 1000;
    expect(await dimension('flux-dev')).toBe('flux-dev');
    expect(await dimension('sdxl')).toBe('other');

    const broken = modelDimensions({ get: () => Promise.reject(new Error('database away')) });
    expect(await broken('sdxl')).toBe('other');
  });

  it('refuses a models setting beyond its bound, keeping the old one', async () => {
    const database = await dbs.open('pglite', { schema: 'metric_dimensions_bound' });
    const settings = new SettingsStore(database, new EventStore(database));
    const many = Array.from({ length: 51 }, (_, i) => `m${i}`);
    await expect(settings.set('metrics.models', many)).rejects.toMatchObject({ kind: 'validation' });
    expect(await settings.get('metrics.models')).toEqual(['sdxl']);
  });

  it('refuses a model CloudWatch cannot take as a dimension value, keeping the old setting', async () => {
    const database = await dbs.open('pglite', { schema: 'metric_dimensions_ascii' });
    const settings = new SettingsStore(database, new EventStore(database));
    for (const bad of [['画像'], ['sdxl', 'flux\u0007'], ['   '], ['café'], ['🌅']])
      await expect(settings.set('metrics.models', bad), JSON.stringify(bad)).rejects.toMatchObject({
        kind: 'validation',
      });
    expect(await settings.get('metrics.models')).toEqual(['sdxl']);
    await settings.set('metrics.models', ['sdxl', 'flux-dev:1.1 (fp8)']);
    expect(await settings.get('metrics.models')).toEqual(['sdxl', 'flux-dev:1.1 (fp8)']);
  });
});
