import type { DomainEvent } from '../contracts/events.ts';

/**
 * A place in the global feed. Events are ordered by (writing transaction, sequence), not by
 * sequence alone: a transaction that drew sequence 41 may commit after the one that drew 42.
 */
export interface Position {
  txId: string;
  sequence: number;
}

export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  sequence: number;
  position: Position;
  streamId: string;
  streamVersion: number;
  type: E['type'];
  /** Payload version as written; `event` is already upcast to the current shape. */
  version: number;
  event: E;
  metadata: Record<string, unknown>;
  storedAt: Date;
}

/** Reading the event store: a stream, and the global feed from a position (upcast on the way out). */
export interface EventReader {
  readStream(streamId: string): Promise<StoredEvent[]>;
  readAfter(after: Position, limit: number): Promise<StoredEvent[]>;
  /** The position of the event with this sequence (a feed's `after=`); not-found when there is none. */
  positionOf(sequence: number): Promise<Position>;
}
