import type { GenerationRequestedMessageInput } from '../contracts/queue-message.ts';

export interface QueueSendResult {
  /** Entries that could not be sent after the adapter's own retries, by generation id. */
  failed: { generationId: string; error: string }[];
}

/** Where accepted work goes: SQS in AWS, the local SQS-like queue under `npm start`. */
export interface Queue {
  send(messages: readonly GenerationRequestedMessageInput[]): Promise<QueueSendResult>;
}
