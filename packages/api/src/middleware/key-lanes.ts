import { AppError } from '@genledger/core/errors';

/** How many of one key's requests may use the database at once in this process, and how long the rest wait. */
export interface KeyConcurrency {
  perKey: number;
  /** The longest a request waits for its key's turn (0: as long as it takes): a backstop, not the lock's bound. */
  waitMs: number;
}

interface Waiter {
  admit(): void;
  refuse(error: AppError): void;
}

interface Lane {
  active: number;
  waiting: Waiter[];
}

/** Beyond this many waiting, a key's next request is refused at once: memory stays bounded. */
const MAX_WAITING_PER_KEY = 256;

/**
 * One lane per API key: at most `perKey` of a key's requests are in the database at once, the rest
 * wait here, holding no pooled connection. A row lock on one key's row (a long transaction, a
 * stuck console operation) then holds at most `perKey` connections, however many of that key's
 * requests arrive, and every other key keeps the rest of the pool. When a request of the lane
 * answers 503 (its statement gave up on a lock or the database), the ones waiting behind it get
 * the same answer at once rather than each waiting its own turn and then its own lock timeout.
 * With `perKey` 1 (wiring's choice) that makes the key's 503s come one lock wait after the request
 * in the database got its connection: a second one in the database would wait on the row twice
 * (the first waiter's tuple lock, then the holder's transaction). A request leaves its lane as soon
 * as the statement that checked its key returned, so the lane holds a key's requests one after
 * another only where its row would anyway.
 *
 * Lanes are keyed by the presented key's sha-256, so a request cannot take another key's lane by
 * sending its prefix. In Lambda a container serves one request at a time and a lane never queues.
 */
export class KeyLanes {
  readonly #lanes = new Map<string, Lane>();

  constructor(
    private readonly limits: KeyConcurrency,
    private readonly retryAfterSeconds: number,
  ) {}

  /**
   * Runs `work` in the key's lane; it answers whether the database gave up on it (a 503). `work`
   * calls `leave` once its key's row is behind it (the statement that checked the key returned):
   * what follows does not touch that row, so the next of the key's requests may go ahead.
   */
  async run(id: string, work: (leave: () => void) => Promise<boolean>): Promise<void> {
    let lane = this.#lanes.get(id);
    if (!lane) {
      lane = { active: 0, waiting: [] };
      this.#lanes.set(id, lane);
    }
    if (lane.active < this.limits.perKey) lane.active++;
    else await this.#turn(lane);
    let left = false;
    const leave = (gaveUp: boolean) => {
      if (left) return;
      left = true;
      this.#release(id, lane, gaveUp);
    };
    let gaveUp = true;
    try {
      gaveUp = await work(() => leave(false));
    } finally {
      leave(gaveUp);
    }
  }

  /** Requests of one key waiting for their turn now (tests and the bench). */
  waiting(id: string): number {
    return this.#lanes.get(id)?.waiting.length ?? 0;
  }

  #turn(lane: Lane): Promise<void> {
    if (lane.waiting.length >= MAX_WAITING_PER_KEY) return Promise.reject(this.#busyError());
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        admit: () => {
          clearTimeout(timer);
          resolve();
        },
        refuse: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      if (this.limits.waitMs > 0) {
        timer = setTimeout(() => {
          lane.waiting.splice(lane.waiting.indexOf(waiter), 1);
          reject(this.#busyError());
        }, this.limits.waitMs);
      }
      lane.waiting.push(waiter);
    });
  }

  #release(id: string, lane: Lane, gaveUp: boolean): void {
    if (gaveUp) for (const w of lane.waiting.splice(0)) w.refuse(this.#busyError());
    const next = lane.waiting.shift();
    // The slot passes straight on to the next waiter: `active` stays as it is.
    if (next) {
      next.admit();
      return;
    }
    lane.active--;
    if (lane.active === 0) this.#lanes.delete(id);
  }

  #busyError(): AppError {
    return new AppError(
      'unavailable',
      "this API key's earlier requests are still waiting for the database (a lock on its row); retry later",
      { retryAfterSeconds: this.retryAfterSeconds },
    );
  }
}
