import type { Deployment } from './deployment.ts';
import type { SimKnobs } from './knobs.ts';
import type { SimSqs } from './sqs.ts';

/** The config's queues on the in-process SQS, dead-letter queues first so redrive policies can name them. */
export function createQueues(sqs: SimSqs, deployment: Deployment, knobs: SimKnobs) {
  const queues = new Map<string, { url: string; arn: string }>();
  const ordered = [...deployment.queues].sort((a, b) => Number(!!a.deadLetter) - Number(!!b.deadLetter));
  for (const q of ordered) {
    const visibility = knobs.QUEUE_VISIBILITY_TIMEOUT ?? q.visibilityTimeoutS;
    const attributes: Record<string, string> = { VisibilityTimeout: String(visibility) };
    if (q.retentionS) attributes.MessageRetentionPeriod = String(q.retentionS);
    if (q.deadLetter) {
      const target = queues.get(q.deadLetter.queue);
      if (!target) throw new Error(`${q.name}: its dead-letter queue ${q.deadLetter.queue} is not defined`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: target.arn,
        maxReceiveCount: String(knobs.QUEUE_MAX_RECEIVE_COUNT ?? q.deadLetter.maxReceiveCount),
      });
    }
    queues.set(q.name, sqs.createQueue(q.name, attributes));
  }
  return queues;
}

/** A subscriber whose timeout outlasts its queue's visibility: AWS refuses that mapping. */
export function visibilityWarnings(deployment: Deployment, knobs: SimKnobs): string[] {
  const warnings: string[] = [];
  for (const s of deployment.subscriptions) {
    const q = deployment.queues.find((x) => x.name === s.queue);
    const visibility = knobs.QUEUE_VISIBILITY_TIMEOUT ?? q?.visibilityTimeoutS ?? 30;
    const windowS = knobs.SIM_BATCH_WINDOW_S ?? s.windowS;
    if (visibility < s.fn.timeoutS + windowS)
      warnings.push(
        `warning: ${s.queue}'s visibility timeout (${visibility}s) is shorter than its subscriber's timeout + batching window (${s.fn.timeoutS + windowS}s): AWS refuses that mapping; here a slow batch is received twice`,
      );
  }
  return warnings;
}

/** What the knobs override, one line each, for the start-up banner. */
export function overrideNotices(
  knobs: SimKnobs,
  extraEnvironment: Record<string, string> | undefined,
): string[] {
  const notices: string[] = [];
  if (knobs.QUEUE_VISIBILITY_TIMEOUT !== undefined)
    notices.push(
      `QUEUE_VISIBILITY_TIMEOUT=${knobs.QUEUE_VISIBILITY_TIMEOUT}s overrides the config's visibility timeouts`,
    );
  if (knobs.QUEUE_MAX_RECEIVE_COUNT !== undefined)
    notices.push(
      `QUEUE_MAX_RECEIVE_COUNT=${knobs.QUEUE_MAX_RECEIVE_COUNT} overrides the config's redrive count`,
    );
  if (knobs.SIM_BATCH_WINDOW_S !== undefined)
    notices.push(`SIM_BATCH_WINDOW_S=${knobs.SIM_BATCH_WINDOW_S}s overrides the config's batching windows`);
  if (knobs.GENERATOR_URL) notices.push(`GENERATOR_URL=${knobs.GENERATOR_URL} set on every function`);
  if (knobs.ADMIN_API_KEY) notices.push('ADMIN_API_KEY is the AdminApiKey secret');
  notices.push(
    knobs.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true'
      ? 'webhooks: private and loopback targets allowed (local development; WEBHOOK_ALLOW_PRIVATE_NETWORKS=false refuses them)'
      : 'webhooks: private and loopback targets refused (WEBHOOK_ALLOW_PRIVATE_NETWORKS=false)',
  );
  if (extraEnvironment && Object.keys(extraEnvironment).length)
    notices.push(`added to every function's environment: ${Object.keys(extraEnvironment).join(', ')}`);
  return notices;
}
