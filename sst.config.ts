/// <reference path="./.sst/platform/config.d.ts" />

// genledger on AWS: API Gateway → API Lambda, SQS (+ DLQ) → worker and dead-letter Lambdas, a
// scheduled maintenance Lambda, and a migration Lambda invoked by every deploy whose migrations
// changed; a private bucket for outputs. Neon Postgres is reached through secrets (pooled URL for
// functions, direct for migrations).

/** The Neon provider, added only when per-stage branches are turned on (NEON_PROJECT_ID). */
const NEON_PROVIDER_VERSION = '0.13.0';
const PRODUCTION = 'production';

export default $config({
  app(input) {
    const production = input?.stage === PRODUCTION;
    return {
      name: 'genledger',
      home: 'aws',
      // Production keeps its queues and logs when the stack is removed; other stages clean up.
      removal: production ? 'retain' : 'remove',
      protect: production,
      ...(process.env.NEON_PROJECT_ID ? { providers: { neon: NEON_PROVIDER_VERSION } } : {}),
    };
  },
  // Only wiring here: each part lives in infra/ (loaded inside run(), as SST requires).
  async run() {
    const { database } = await import('./infra/database');
    const { queues } = await import('./infra/queues');
    const { outputs } = await import('./infra/outputs');
    const { functions } = await import('./infra/functions');
    const { alarms } = await import('./infra/alarms');

    const db = database();
    const q = queues();
    const bucket = outputs();
    const { gateway, worker } = functions(db, q, bucket);
    alarms(
      q,
      worker.nodes.function.apply((fn) => fn.name),
    );
    return {
      api: gateway.url,
      queueUrl: q.queue.url,
      deadLetterQueueUrl: q.deadLetterQueue.url,
      outputsBucket: bucket.name,
    };
  },
});
