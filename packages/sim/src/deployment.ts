// The deployment as sst.config.ts describes it, read from the recorded components: functions,
// queues, subscriptions, the schedule, the route and the migration invocation. Nothing here is
// a second description of the stack; every number comes from the config.
import type { Evaluation, Recorded } from './config-recorder.ts';

export interface FunctionSpec {
  /** The component name (Function) or a derived one (subscriber, cron). */
  name: string;
  handler: string;
  environment: Record<string, string>;
  /** Names of linked components (secrets, queues, linkables). */
  links: string[];
  copyFiles: { from: string; to?: string }[];
  timeoutS: number;
  memoryMb: number;
  nodejs: { esbuild?: { external?: string[] }; minify?: boolean; splitting?: boolean; sourcemap?: boolean };
  /** Lambda's runtime identifier (`nodejs22.x`), when the config names one. */
  runtime: string | undefined;
}

interface QueueSpec {
  name: string;
  visibilityTimeoutS: number;
  retentionS: number | undefined;
  deadLetter: { queue: string; maxReceiveCount: number } | undefined;
}

interface SubscriptionSpec {
  queue: string;
  fn: FunctionSpec;
  batchSize: number;
  windowS: number;
  partialResponses: boolean;
  maxConcurrency: number | undefined;
}

export interface Deployment {
  functions: FunctionSpec[];
  queues: QueueSpec[];
  /** Buckets by component name. */
  buckets: string[];
  subscriptions: SubscriptionSpec[];
  schedules: { name: string; rateS: number; fn: FunctionSpec }[];
  /** The function behind API Gateway's `$default` route. */
  api: FunctionSpec;
  migration: { fn: FunctionSpec; input: unknown } | undefined;
}

/** "720 seconds", "5 minutes", "1 minute", "29 seconds" → seconds. */
function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(second|minute|hour|day)s?$/.exec(String(duration).trim());
  if (!m) throw new Error(`unsupported duration ${JSON.stringify(duration)}`);
  return Number(m[1]) * { second: 1, minute: 60, hour: 3600, day: 86_400 }[m[2] as 'second'];
}

/** "rate(1 minute)" → seconds. */
function rateSeconds(schedule: string): number {
  const m = /^rate\((.+)\)$/.exec(schedule);
  if (!m) throw new Error(`only rate(...) schedules are simulated, got ${JSON.stringify(schedule)}`);
  return seconds(m[1]!);
}

const componentName = (ref: unknown): string => {
  const s = typeof ref === 'string' ? ref : (ref as { name?: string })?.name;
  if (!s) throw new Error(`cannot tell which component ${JSON.stringify(ref)} is`);
  return s.replace(/\.(name|arn|url)$/, '');
};

function functionSpec(name: string, args: Record<string, any>): FunctionSpec {
  return {
    name,
    handler: args.handler,
    environment: { ...(args.environment ?? {}) },
    links: (args.link ?? []).map(componentName),
    copyFiles: args.copyFiles ?? [],
    timeoutS: args.timeout ? seconds(args.timeout) : 20,
    memoryMb: args.memory ? Number.parseInt(args.memory, 10) : 1024,
    nodejs: args.nodejs ?? {},
    runtime: typeof args.runtime === 'string' ? args.runtime : undefined,
  };
}

export function deploymentFrom(evaluation: Evaluation): Deployment {
  const { find } = evaluation;
  const functions = new Map<string, FunctionSpec>();
  for (const f of find('Function')) functions.set(f.name, functionSpec(f.name, f.args));

  const queues: QueueSpec[] = find('Queue').map((q: Recorded) => ({
    name: q.name,
    visibilityTimeoutS: q.args.visibilityTimeout ? seconds(q.args.visibilityTimeout) : 30,
    retentionS: q.args.transform?.queue?.messageRetentionSeconds,
    deadLetter: q.args.dlq
      ? { queue: componentName(q.args.dlq.queue), maxReceiveCount: q.args.dlq.retry ?? 3 }
      : undefined,
  }));

  const subscriptions = find('Subscription').map((s): SubscriptionSpec => {
    const fn = functionSpec(`${s.name}Subscriber`, s.args.subscriber);
    functions.set(fn.name, fn);
    return {
      queue: s.name,
      fn,
      batchSize: s.args.batch?.size ?? 10,
      windowS: s.args.batch?.window ? seconds(s.args.batch.window) : 0,
      partialResponses: s.args.batch?.partialResponses ?? false,
      maxConcurrency: s.args.transform?.eventSourceMapping?.scalingConfig?.maximumConcurrency,
    };
  });

  const schedules = find('CronV2').map((c) => {
    const fn = functionSpec(`${c.name}Handler`, c.args.function);
    functions.set(fn.name, fn);
    return { name: c.name, rateS: rateSeconds(c.args.schedule), fn };
  });

  const [route] = find('Route', '$default');
  if (!route) throw new Error('sst.config.ts routes nothing to $default');
  const api = functions.get(componentName(route.args.target));
  if (!api)
    throw new Error(`the $default route targets ${String(route.args.target)}, which is not a function`);

  const [invocation] = find('Invocation');
  const migration = invocation
    ? {
        fn: functions.get(componentName(invocation.args.functionName))!,
        input: JSON.parse(invocation.args.input ?? 'null'),
      }
    : undefined;

  const buckets = find('Bucket').map((b) => b.name);
  return { functions: [...functions.values()], queues, buckets, subscriptions, schedules, api, migration };
}
