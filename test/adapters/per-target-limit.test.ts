import { limitPerTarget } from '@genledger/adapters/webhooks/per-target-limit';
import type { WebhookRequest, WebhookResponse } from '@genledger/core/ports/webhooks';
import { describe, expect, it } from 'vitest';

/** A sender whose answers the test releases one by one, counting what is in flight per origin. */
function heldSender() {
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  const held: { url: string; release: () => void }[] = [];
  return {
    inFlight,
    most,
    held,
    sender: {
      send: (req: WebhookRequest) =>
        new Promise<WebhookResponse>((resolve) => {
          const origin = new URL(req.url).origin;
          inFlight.set(origin, (inFlight.get(origin) ?? 0) + 1);
          most.set(origin, Math.max(most.get(origin) ?? 0, inFlight.get(origin)!));
          held.push({
            url: req.url,
            release: () => {
              inFlight.set(origin, inFlight.get(origin)! - 1);
              resolve({ ok: true, status: 204, latencyMs: 1, body: '' });
            },
          });
        }),
    },
  };
}

const request = (url: string, id: string): WebhookRequest => ({
  id,
  url,
  body: '{}',
  timestamp: new Date(0),
  secrets: [],
});
const settle = () => new Promise((r) => setImmediate(r));

describe('limitPerTarget', () => {
  it('keeps at most N requests in flight to one target, in arrival order, without holding up another', async () => {
    const s = heldSender();
    const limited = limitPerTarget(s.sender, 2);
    const slow = Array.from({ length: 6 }, (_, i) =>
      limited.send(request(`https://slow.example/hook?${i}`, `s${i}`)),
    );
    const other = limited.send(request('https://other.example/hook', 'o'));
    await settle();
    // Two of the slow target's six are sent; the other target's one is not kept waiting behind them.
    expect(s.held.map((h) => h.url)).toEqual([
      'https://slow.example/hook?0',
      'https://slow.example/hook?1',
      'https://other.example/hook',
    ]);
    s.held.find((h) => h.url.startsWith('https://other'))!.release();
    expect((await other).ok).toBe(true);
    for (let released = 0; released < 6; released++) {
      const next = s.held.find(
        (h) => h.url.startsWith('https://slow') && s.inFlight.get('https://slow.example')! > 0,
      );
      s.held.splice(s.held.indexOf(next!), 1);
      next!.release();
      await settle();
    }
    expect((await Promise.all(slow)).every((r) => r.ok)).toBe(true);
    expect(s.most.get('https://slow.example')).toBe(2);
  });

  it('frees the slot when a send throws', async () => {
    let calls = 0;
    const limited = limitPerTarget(
      {
        send: async () => {
          calls++;
          if (calls === 1) throw new Error('socket hang up');
          return { ok: true, status: 200, latencyMs: 1, body: '' };
        },
      },
      1,
    );
    await expect(limited.send(request('https://a.example/', '1'))).rejects.toThrow('socket hang up');
    expect((await limited.send(request('https://a.example/', '2'))).ok).toBe(true);
  });
});
