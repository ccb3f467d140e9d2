import * as z from 'zod';
import { MAX_MODEL_LENGTH } from './limits.ts';
import { text } from './storable.ts';

/**
 * A metric dimension value is a metric of its own, paid for by the month: the models named here
 * are the only ones a request can add, however many it invents.
 */
const MAX_METRIC_MODELS = 50;

/**
 * A model named in `metrics.models` becomes a CloudWatch dimension value, which must be ASCII
 * without control characters and hold a non-space character
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html): a value
 * outside that would have CloudWatch drop the metrics of every line that carries it.
 */
const MetricModel = text()
  .min(1)
  .max(MAX_MODEL_LENGTH)
  .regex(
    /^[ -~]*[!-~][ -~]*$/,
    'must be printable ASCII with a non-space character (a CloudWatch dimension value)',
  );

/**
 * Runtime settings an admin may change (`PUT /settings/:key`). Each key has its own schema and a
 * default used until it is set.
 */
export const SETTINGS = {
  'retention.failedMessageDays': {
    schema: z.int().min(1).max(90),
    default: 14,
    description: 'Days a resolved or archived failed message is kept before the maintenance job deletes it',
  },
  'retention.generationDays': {
    schema: z.int().min(0).max(36_500),
    default: 0,
    description:
      'Days a finished generation is kept, with its outputs, before the maintenance job deletes both (0: kept forever)',
  },
  'retention.webhookDeliveryDays': {
    schema: z.int().min(1).max(365),
    default: 30,
    description:
      'Days a finished webhook delivery (delivered, failed or skipped) is kept, with its attempts, before the maintenance job deletes it',
  },
  'retry.messagesPerSecond': {
    schema: z.int().min(1).max(1000),
    default: 50,
    description: 'How fast a retry batch re-sends failed messages to the main queue',
  },
  'alerts.failuresPerMinute': {
    schema: z.number().min(0.1).max(10_000),
    default: 1,
    description:
      'Generator failures per minute (over the last 5 minutes) at which the console shows the backend amber',
  },
  'alerts.groupSpikeFailures': {
    schema: z.int().min(2).max(100_000),
    default: 20,
    description:
      'Dead-letterings of one failure group within the spike window at which it raises failure_group.spiking (once per spike)',
  },
  'alerts.groupSpikeWindowMinutes': {
    schema: z.int().min(1).max(1440),
    default: 15,
    description: 'The window, in minutes, over which a failure group counts its dead-letterings for a spike',
  },
  'generation.defaultModel': {
    schema: text().min(1).max(MAX_MODEL_LENGTH),
    default: 'sdxl',
    description: 'Model used when a request names none',
  },
  'metrics.models': {
    schema: z.array(MetricModel).max(MAX_METRIC_MODELS),
    default: ['sdxl'],
    description: `Models that get a metric dimension of their own (at most ${MAX_METRIC_MODELS}); every other model counts as "other". Printable ASCII only (CloudWatch dimension values)`,
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.infer<(typeof SETTINGS)[K]['schema']>;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const isSettingKey = (k: string): k is SettingKey => Object.hasOwn(SETTINGS, k);
