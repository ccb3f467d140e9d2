// What invokes the functions besides HTTP: event-source mappings polling the queues, and the
// schedules, each as AWS runs them.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Deployment } from './deployment.ts';
import { EventSourceMapping } from './event-source-mapping.ts';
import type { SimKnobs } from './knobs.ts';
import type { InvokeResult } from './lambda-runtime.ts';
import { REGION } from './sqs.ts';

type Invoke = (fn: string, event: unknown) => Promise<InvokeResult>;

/**
 * One poller set per subscription, with its batch size, window (`windowS` overrides the config's),
 * partial responses and concurrency.
 */
export function startMappings(options: {
  deployment: Deployment;
  windowS: number | undefined;
  client: SQSClient;
  queues: ReadonlyMap<string, { url: string; arn: string }>;
  invoke: Invoke;
  log: (fn: string, line: string) => void;
}): () => Promise<void> {
  const mappings = options.deployment.subscriptions.map((s) => {
    const queue = options.queues.get(s.queue)!;
    return new EventSourceMapping({
      client: options.client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      region: REGION,
      batchSize: s.batchSize,
      windowS: options.windowS ?? s.windowS,
      partialResponses: s.partialResponses,
      // Unbounded on AWS when unset (up to the account's concurrency); a few pollers here.
      concurrency: s.maxConcurrency ?? 5,
      invoke: (event) => options.invoke(s.fn.name, event),
      log: (line) => options.log(`${s.queue}-mapping`, line),
    });
  });
  for (const m of mappings) m.start();
  return async () => {
    await Promise.all(mappings.map((m) => m.stop()));
  };
}

const scheduledEvent = () => ({
  version: '0',
  id: crypto.randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: new Date().toISOString(),
  region: REGION,
  resources: [],
  detail: {},
});

/** The schedules on timers (MAINTENANCE_INTERVAL_S overrides their rate), and a tick to run them now. */
export function startSchedules(options: {
  deployment: Deployment;
  knobs: SimKnobs;
  invoke: Invoke;
  announce: (line: string) => void;
}) {
  const { deployment, knobs, invoke } = options;
  const timers: NodeJS.Timeout[] = [];
  for (const s of deployment.schedules) {
    const rateS = knobs.MAINTENANCE_INTERVAL_S ?? s.rateS;
    if (knobs.MAINTENANCE_INTERVAL_S !== undefined)
      options.announce(`MAINTENANCE_INTERVAL_S=${rateS} overrides ${s.name}'s schedule (every ${s.rateS}s)`);
    timers.push(setInterval(() => void invoke(s.fn.name, scheduledEvent()), rateS * 1000));
  }
  return {
    tick: () => Promise.all(deployment.schedules.map((s) => invoke(s.fn.name, scheduledEvent()))),
    stop: async () => {
      for (const t of timers) clearInterval(t);
    },
  };
}
