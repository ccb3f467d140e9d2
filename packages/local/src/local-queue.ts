import { randomUUID } from 'node:crypto';
import type { LocalQueueStore, StoredQueueMessage } from '@genledger/db/local-queue-store';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface LocalQueueOptions {
  name: string;
  /** Where the messages live: the database the local runtime serves, so they survive a restart. */
  store: LocalQueueStore;
  /** How long a received message stays invisible before it can be received again. */
  visibilityTimeoutMs: number;
  /** After this many receives the next one moves the message to `deadLetter` instead (SQS redrive). */
  maxReceiveCount?: number;
  deadLetter?: LocalQueue;
  region?: string;
}

/**
 * A queue with the SQS behaviour the pipeline relies on: at-least-once delivery in batches of up
 * to 10, a visibility timeout after which an unacknowledged message is delivered again with a
 * higher receive count, and redrive to a dead-letter queue after maxReceiveCount. Messages are
 * stored in the database, so a crash or a stop loses nothing: after a restart, what was received
 * and not acknowledged comes back once its visibility timeout ends, as SQS would deliver it.
 */
export class LocalQueue {
  readonly arn: string;
  private readonly waiters = new Set<() => void>();

  constructor(readonly options: LocalQueueOptions) {
    this.arn = `arn:aws:sqs:${options.region ?? 'local-1'}:000000000000:${options.name}`;
  }

  get name() {
    return this.options.name;
  }

  async send(body: string, messageAttributes: Record<string, string> = {}, delayMs = 0): Promise<string> {
    const messageId = randomUUID();
    await this.options.store.send({
      queue: this.options.name,
      messageId,
      body,
      messageAttributes,
      generationId: messageAttributes.generationId ?? null,
      delayMs,
    });
    this.wake();
    return messageId;
  }

  /** SQS ChangeMessageVisibility: the received message becomes visible `visibleInMs` from now. */
  async changeVisibility(receiptHandle: string, visibleInMs: number): Promise<boolean> {
    const changed = await this.options.store.changeVisibility(receiptHandle, visibleInMs);
    if (changed && visibleInMs === 0) this.wake();
    return changed;
  }

  async receive(max = 10): Promise<SQSRecord[]> {
    const { maxReceiveCount, deadLetter } = this.options;
    const { messages, moved } = await this.options.store.receive({
      queue: this.options.name,
      max,
      visibilityTimeoutMs: this.options.visibilityTimeoutMs,
      ...(maxReceiveCount !== undefined && deadLetter
        ? { redrive: { maxReceiveCount, deadLetterQueue: deadLetter.name, sourceArn: this.arn } }
        : {}),
    });
    if (moved > 0) deadLetter?.wake();
    return messages.map((m) => this.toRecord(m));
  }

  /** Acknowledges a delivery; a stale receipt (the message was received again since) is ignored. */
  async delete(receiptHandle: string): Promise<boolean> {
    const deleted = await this.options.store.delete(receiptHandle);
    if (deleted) this.wake();
    return deleted;
  }

  /** Hands received messages back at once (ChangeMessageVisibility to 0): a stopping consumer's. */
  async release(receiptHandles: readonly string[]): Promise<number> {
    const released = await this.options.store.release(receiptHandles);
    if (released > 0) this.wake();
    return released;
  }

  stats() {
    return this.options.store.stats(this.options.name);
  }

  async size(): Promise<number> {
    return (await this.stats()).total;
  }

  /** Counts the changes made in this process: a consumer that read it before polling misses none. */
  private changes = 0;

  get changeCount() {
    return this.changes;
  }

  /**
   * Resolves on the next change made in this process (send, delete, redrive) or after `ms`; at once
   * when one was made since `seen` (a `changeCount` read before the poll that found nothing), so a
   * send between that poll and this wait is never slept through.
   */
  waitForChange(ms: number, seen?: number): Promise<void> {
    if (seen !== undefined && seen !== this.changes) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wake() {
    this.changes++;
    for (const w of [...this.waiters]) w();
  }

  private toRecord(m: StoredQueueMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle!,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt.getTime()),
        SenderId: 'LOCAL',
        ApproximateFirstReceiveTimestamp: String((m.firstReceivedAt ?? new Date()).getTime()),
        ...(m.sourceArn ? { DeadLetterQueueSourceArn: m.sourceArn } : {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [
          k,
          { stringValue: v, dataType: 'String', stringListValues: [], binaryListValues: [] },
        ]),
      ),
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: this.options.region ?? 'local-1',
    };
  }
}

export type BatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface LocalConsumerOptions {
  batchSize?: number;
  /** Longest wait between polls when nothing was sent in this process (another one may send). */
  idlePollMs?: number;
  /** Wait after a failed poll (the database restarting, say) before the next one. */
  errorBackoffMs?: number;
}

/**
 * Polls a LocalQueue and hands batches to a Lambda-style SQS handler, deleting what succeeded:
 * entries in `batchItemFailures` (or the whole batch when the handler throws) stay in the queue and
 * come back after the visibility timeout.
 */
export class LocalConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private inFlight: SQSRecord[] = [];
  readonly errors: unknown[] = [];

  constructor(
    private readonly queue: LocalQueue,
    private readonly handler: BatchHandler,
    private readonly options: LocalConsumerOptions = {},
  ) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Stops receiving and gives the batch in hand up to `graceMs` to finish. What is still unfinished
   * then is handed back to the queue at once, so the next start (or another consumer) takes it up
   * without waiting for the visibility timeout; its attempt is taken over by the same message's
   * next delivery.
   */
  async stop(graceMs = Number.POSITIVE_INFINITY): Promise<void> {
    this.running = false;
    this.queue.wake();
    if (!this.loop) return;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.loop.then(() => true),
      Number.isFinite(graceMs)
        ? new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), graceMs);
          })
        : new Promise<boolean>(() => {}),
    ]);
    clearTimeout(timer);
    if (!finished && this.inFlight.length) {
      await this.queue.release(this.inFlight.map((r) => r.receiptHandle)).catch(() => 0);
    }
  }

  get idle() {
    return this.inFlight.length === 0;
  }

  private async run() {
    const idlePollMs = this.options.idlePollMs ?? 1000;
    while (this.running) {
      let records: SQSRecord[];
      try {
        const seen = this.queue.changeCount;
        records = await this.queue.receive(this.options.batchSize ?? 10);
        if (records.length === 0) {
          const { nextVisibleInMs } = await this.queue.stats();
          if (!this.running) break;
          // At least a few ms: a message visible by the clock but not yet receivable must not spin the loop.
          await this.queue.waitForChange(
            Math.max(Math.min(nextVisibleInMs ?? idlePollMs, idlePollMs), 5) + 1,
            seen,
          );
          continue;
        }
      } catch (e) {
        this.errors.push(e);
        if (this.running) await this.queue.waitForChange(this.options.errorBackoffMs ?? 500);
        continue;
      }
      this.inFlight = records;
      try {
        const result = await this.handler({ Records: records });
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const r of records) if (!failed.has(r.messageId)) await this.queue.delete(r.receiptHandle);
      } catch (e) {
        this.errors.push(e);
      } finally {
        this.inFlight = [];
      }
    }
  }
}
