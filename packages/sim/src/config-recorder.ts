// Evaluates sst.config.ts with SST's globals replaced by recorders: every component it creates is
// recorded with its arguments, without AWS or Pulumi. The infra tests check the wiring with it, and
// `npm run sim` builds its simulated deployment from the very same records.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Recorded {
  kind: string;
  name: string;
  args: Record<string, any>;
  opts?: Record<string, any>;
}

/** Stands in for a Pulumi Output<string>: what `$interpolate`, `.apply` and lifting need. */
export interface RecordedOutput {
  value: string;
  apply<T>(fn: (v: any) => T): T;
}
const output = (value: string): RecordedOutput => ({ value, apply: (fn) => fn(value) });

export type SstConfig = {
  app(input: { stage: string }): Record<string, any>;
  run(): Promise<Record<string, any>>;
};

let recorded: Recorded[] = [];

const record = (kind: string) =>
  class {
    name: string;
    arn: string;
    url: string;
    id: string;
    password: string;
    host: RecordedOutput;
    nodes: Record<string, any>;
    constructor(name: string, args: Record<string, any> = {}, opts?: Record<string, any>) {
      recorded.push({ kind, name, args, opts });
      this.name = `${name}.name`;
      this.arn = `${name}.arn`;
      this.url = `${name}.url`;
      this.id = `${name}.id`;
      this.password = `${name}.password`;
      this.host = output(`ep-${name.toLowerCase()}-123.eu-central-1.aws.neon.tech`);
      this.nodes = { queue: { name: `${name}.queueName` } };
    }
    subscribe(subscriber: Record<string, any>, args: Record<string, any>, opts?: Record<string, any>) {
      const name = this.name.replace('.name', '');
      recorded.push({ kind: 'Subscription', name, args: { subscriber, ...args }, opts });
      return {
        nodes: {
          function: { apply: <T>(fn: (f: { name: string }) => T) => fn({ name: `${name}Subscriber.name` }) },
        },
      };
    }
    route(path: string, target: unknown) {
      recorded.push({ kind: 'Route', name: path, args: { target } });
    }
  };

/** Puts the recorders where SST puts its globals. */
function installGlobals() {
  const g = globalThis as Record<string, any>;
  g.$config = (c: SstConfig) => c;
  g.sst = {
    Secret: record('Secret'),
    Linkable: record('Linkable'),
    aws: {
      Queue: record('Queue'),
      Bucket: record('Bucket'),
      Function: record('Function'),
      ApiGatewayV2: record('ApiGatewayV2'),
      CronV2: record('CronV2'),
    },
  };
  g.aws = {
    lambda: { Invocation: record('Invocation') },
    sns: { Topic: record('sns.Topic'), TopicSubscription: record('sns.TopicSubscription') },
    cloudwatch: { MetricAlarm: record('cloudwatch.MetricAlarm') },
  };
  g.neon = {
    Branch: record('neon.Branch'),
    Endpoint: record('neon.Endpoint'),
    Role: record('neon.Role'),
    Database: record('neon.Database'),
  };
  g.$interpolate = (parts: TemplateStringsArray, ...values: unknown[]) =>
    parts.reduce((out, part, i) => {
      const v = values[i - 1] as { value?: string } | string;
      return out + (typeof v === 'object' && v?.value !== undefined ? v.value : String(v)) + part;
    });
}

/** Loads sst.config.ts (from `root`) with the recorders installed. */
export async function loadSstConfig(root = process.cwd()): Promise<SstConfig> {
  installGlobals();
  const url = pathToFileURL(resolve(root, 'sst.config.ts')).href;
  return ((await import(/* @vite-ignore */ url)) as { default: SstConfig }).default;
}

export interface Evaluation {
  outputs: Record<string, any>;
  recorded: Recorded[];
  find(kind: string, name?: string): Recorded[];
}

/** Runs the config's `run()` for a stage, as `sst deploy` (or `sst dev`, with dev) would. */
export async function evaluateSstConfig(
  config: SstConfig,
  options: { dev?: boolean; stage?: string } = {},
): Promise<Evaluation> {
  recorded = [];
  const g = globalThis as Record<string, any>;
  g.$dev = options.dev ?? false;
  g.$app = { name: 'genledger', stage: options.stage ?? 'production' };
  const outputs = await config.run();
  const mine = recorded;
  return {
    outputs,
    recorded: mine,
    find: (kind, name) => mine.filter((r) => r.kind === kind && (!name || r.name === name)),
  };
}
