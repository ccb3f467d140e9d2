import type { OutputFetcher } from '@genledger/core/ports/output-store';

/**
 * Fetches a backend's output URL (Replicate's delivery links, ComfyUI's `/view`) with a time
 * limit, reading no more than `maxBytes`: a Content-Length over it stops at the headers, a body
 * without one stops as soon as it passes. Redirects are followed (delivery CDNs use them).
 */
export function httpOutputFetcher(options: { timeoutMs: number }): OutputFetcher {
  return {
    async fetch(url, { headers, maxBytes }) {
      const response = await fetch(url, {
        headers: headers ?? {},
        redirect: 'follow',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) {
        await response.body?.cancel();
        return 'too-large';
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of response.body ?? []) {
        size += chunk.byteLength;
        if (size > maxBytes) return 'too-large';
        chunks.push(chunk);
      }
      return Buffer.concat(chunks);
    },
  };
}
