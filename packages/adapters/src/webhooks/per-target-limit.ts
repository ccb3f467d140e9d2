import type { WebhookRequest, WebhookResponse, WebhookSender } from '@genledger/core/ports/webhooks';

interface Target {
  active: number;
  waiting: (() => void)[];
}

/**
 * At most `perTarget` requests in flight to one target (its origin: scheme, host and port) from
 * this process: a batch of deliveries to one slow receiver queues behind that receiver instead of
 * opening a connection each, and other targets in the same batch are not held up. A freed slot is
 * handed to the next waiter of the same target, in arrival order.
 */
export function limitPerTarget(sender: WebhookSender, perTarget: number): WebhookSender {
  const targets = new Map<string, Target>();
  return {
    async send(req: WebhookRequest): Promise<WebhookResponse> {
      const key = originOf(req.url);
      const target = targets.get(key) ?? { active: 0, waiting: [] };
      targets.set(key, target);
      if (target.active < perTarget) target.active++;
      else await new Promise<void>((resolve) => target.waiting.push(resolve));
      try {
        return await sender.send(req);
      } finally {
        const next = target.waiting.shift();
        if (next) next();
        else if (--target.active === 0) targets.delete(key);
      }
    },
  };
}

/** A URL the sender will refuse anyway shares one key rather than throwing here. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
