// autocannon ships no types; the bench uses this much of it.
declare module 'autocannon' {
  interface Histogram {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    errors: number;
    non2xx: number;
  }
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    connections?: number;
    duration?: number;
    /** Requests in all, instead of a duration. */
    amount?: number;
    /** Cycled through, one per request; `setupRequest` may change each one (its path, say). */
    requests?: { setupRequest?: (request: object) => object }[];
    setupClient?: (client: { setHeaders(h: Record<string, string>): void }) => void;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
