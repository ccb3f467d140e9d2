import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface LocalQueueOptions {
  name: string;
  /** How long a received message stays invisible before it can be received again. */
  visibilityTimeoutMs: number;
  /** After this many receives the next one moves the message to `deadLetter` instead (SQS redrive). */
  maxReceiveCount?: number;
  deadLetter?: LocalQueue;
  region?: string;
}

interface StoredMessage {
  messageId: string;
  body: string;
  messageAttributes: Record<string, string>;
  sentAt: number;
  firstReceivedAt: number | undefined;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
  /** Set on a dead-letter queue: the queue the message failed on. */
  sourceArn?: string;
}

/**
 * An in-process queue with the SQS behaviour the pipeline relies on: at-least-once delivery in
 * batches of up to 10, a visibility timeout after which an unacknowledged message is delivered
 * again with a higher receive count, and redrive to a dead-letter queue after maxReceiveCount.
 */
export class LocalQueue {
  readonly arn: string;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly waiters = new Set<() => void>();

  constructor(readonly options: LocalQueueOptions) {
    this.arn = `arn:aws:sqs:${options.region ?? 'local-1'}:000000000000:${options.name}`;
  }

  send(body: string, messageAttributes: Record<string, string> = {}): string {
    const messageId = randomUUID();
    const now = Date.now();
    this.messages.set(messageId, {
      messageId,
      body,
      messageAttributes,
      sentAt: now,
      firstReceivedAt: undefined,
      receiveCount: 0,
      visibleAt: now,
      receiptHandle: undefined,
    });
    this.wake();
    return messageId;
  }

  /** Moves in a message that failed elsewhere, keeping its id (as SQS redrive does). */
  private adopt(message: StoredMessage, sourceArn: string) {
    this.messages.set(message.messageId, {
      ...message,
      sourceArn,
      visibleAt: Date.now(),
      receiptHandle: undefined,
    });
    this.wake();
  }

  receive(max = 10): SQSRecord[] {
    const now = Date.now();
    const out: SQSRecord[] = [];
    for (const m of this.messages.values()) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      const limit = this.options.maxReceiveCount;
      if (limit !== undefined && m.receiveCount >= limit && this.options.deadLetter) {
        this.messages.delete(m.messageId);
        this.options.deadLetter.adopt(m, this.arn);
        continue;
      }
      m.receiveCount++;
      m.firstReceivedAt ??= now;
      m.visibleAt = now + this.options.visibilityTimeoutMs;
      m.receiptHandle = randomUUID();
      out.push(this.toRecord(m));
    }
    return out;
  }

  /** Acknowledges a delivery; a stale receipt (the message was received again since) is ignored. */
  delete(receiptHandle: string): boolean {
    for (const m of this.messages.values()) {
      if (m.receiptHandle === receiptHandle) {
        this.messages.delete(m.messageId);
        this.wake();
        return true;
      }
    }
    return false;
  }

  get size() {
    return this.messages.size;
  }

  stats() {
    const now = Date.now();
    let visible = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) visible++;
    return { total: this.messages.size, visible, inFlight: this.messages.size - visible };
  }

  /** Milliseconds until some message becomes visible, or undefined when the queue is empty. */
  nextVisibleIn(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) next = Math.min(next ?? Number.POSITIVE_INFINITY, m.visibleAt);
    return next === undefined ? undefined : Math.max(0, next - Date.now());
  }

  /** Resolves on the next change (send, delete, redrive) or after `ms`. */
  waitForChange(ms: number): Promise<void> {
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

  private wake() {
    for (const w of [...this.waiters]) w();
  }

  private toRecord(m: StoredMessage): SQSRecord {
    return {
      messageId: m.messageId,
      receiptHandle: m.receiptHandle!,
      body: m.body,
      attributes: {
        ApproximateReceiveCount: String(m.receiveCount),
        SentTimestamp: String(m.sentAt),
        SenderId: 'LOCAL',
        ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt ?? Date.now()),
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

/**
 * Polls a LocalQueue and hands batches to a Lambda-style SQS handler, deleting what succeeded:
 * entries in `batchItemFailures` (or the whole batch when the handler throws) stay in the queue and
 * come back after the visibility timeout.
 */
export class LocalConsumer {
  private running = false;
  private loop: Promise<void> | undefined;
  private busy = false;
  readonly errors: unknown[] = [];

  constructor(
    private readonly queue: LocalQueue,
    private readonly handler: BatchHandler,
    private readonly options: { batchSize?: number; idlePollMs?: number } = {},
  ) {}

  start() {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }

  get idle() {
    return !this.busy;
  }

  private async run() {
    while (this.running) {
      const records = this.queue.receive(this.options.batchSize ?? 10);
      if (records.length === 0) {
        const next = this.queue.nextVisibleIn();
        await this.queue.waitForChange(
          Math.min(next ?? Number.POSITIVE_INFINITY, this.options.idlePollMs ?? 200) + 1,
        );
        continue;
      }
      this.busy = true;
      try {
        const result = await this.handler({ Records: records });
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        for (const r of records) if (!failed.has(r.messageId)) this.queue.delete(r.receiptHandle);
      } catch (e) {
        this.errors.push(e);
      } finally {
        this.busy = false;
      }
    }
  }
}
