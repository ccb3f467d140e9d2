// CloudWatch metrics as embedded-metric-format (EMF) log lines: one JSON object on stdout that
// CloudWatch Logs turns into metrics, with no API call and no client. Written by hand instead of
// Powertools Metrics: docs/http.md ("Metrics") has the cold-start measurement behind the choice.

import type { Dimensions } from './metric-dimensions.ts';

export const METRICS_NAMESPACE = 'genledger';

export type Unit = 'Count' | 'Milliseconds';

export interface MetricLine {
  /** Dimension values, from a bounded set (metric-dimensions.ts); every key is one dimension of the one set. */
  dimensions: Dimensions;
  metrics: Record<string, { value: number; unit: Unit }>;
  /** Searchable in Logs Insights, not dimensions (ids, reasons). */
  properties?: Record<string, string | number | boolean | null>;
}

export type MetricsSink = (line: MetricLine) => void;

/** The EMF document for one line (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html). */
export function emfDocument(line: MetricLine, now = Date.now()): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(line.dimensions)],
          Metrics: Object.entries(line.metrics).map(([Name, m]) => ({ Name, Unit: m.unit })),
        },
      ],
    },
    ...line.properties,
    ...line.dimensions,
    ...Object.fromEntries(Object.entries(line.metrics).map(([name, m]) => [name, m.value])),
  };
}

export const emfSink =
  (write: (text: string) => void = (t) => process.stdout.write(`${t}\n`)): MetricsSink =>
  (line) =>
    write(JSON.stringify(emfDocument(line)));

/** Metric lines as log entries at debug level: `npm start` and tests, where no CloudWatch reads stdout. */
export const loggedMetrics =
  (logger: { debug(msg: string, fields?: Record<string, unknown>): void }): MetricsSink =>
  (line) =>
    logger.debug('metric', emfDocument(line));
