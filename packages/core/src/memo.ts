/**
 * Built on first use and kept while it works; a failed build is forgotten, so the next call tries
 * again. A database, queue client or bundle chunk that failed once at a cold start (the network
 * was down, the server restarting) must not poison a warm container or process for good.
 */
export function memo<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= build().catch((e: unknown) => {
      value = undefined;
      throw e;
    }));
}
