/** An output's bytes as stored, with the media type to serve them as. */
export interface StoredOutput {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/**
 * Where generation outputs are kept: files under `DATA_DIR/outputs` locally, an S3 bucket
 * deployed and in the sim. Keys are `generations/{generationId}/{attempt}/{index}-{hash}.{ext}`
 * (core's `outputKey`; records kept before hold older shapes); a key is data, never a path to
 * trust: `read` answers undefined for anything the store does not hold, a key that would leave the
 * store included.
 */
export interface OutputStore {
  /** Writes one output (over the same bytes, when a repeated report keeps them again). */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  read(key: string): Promise<StoredOutput | undefined>;
  /** A link anyone holding it may GET the output with, until it expires. */
  signedUrl(key: string): Promise<string>;
  /** Removes every output of a generation; nothing to remove is not an error. */
  deleteGeneration(generationId: string): Promise<void>;
  /**
   * Removes these outputs (what an attempt wrote and did not record: discardUnrecordedOutputs); a
   * key the store does not hold, or that is not an output key, is skipped.
   */
  delete(keys: readonly string[]): Promise<void>;
}

/**
 * Fetches an output a backend handed over as an http(s) URL. Answers the body, or `too-large` as
 * soon as it passes `maxBytes` (so a huge body is never held); throws when it cannot be had
 * (connection error, timeout, a status other than 2xx).
 */
export interface OutputFetcher {
  fetch(
    url: string,
    options: { headers?: Record<string, string>; maxBytes: number },
  ): Promise<Uint8Array | 'too-large'>;
}
