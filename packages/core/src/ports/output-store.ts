/** A generator output's bytes as stored, with the media type to serve them as. */
export interface StoredOutput {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/**
 * Where generator outputs are kept (files locally; object storage when deployed, later). `read`
 * takes the path a generation recorded and answers undefined for anything the store does not hold,
 * including a path outside it: a recorded path is data, never a licence to read the disk.
 */
export interface OutputStore {
  read(path: string): Promise<StoredOutput | undefined>;
}
