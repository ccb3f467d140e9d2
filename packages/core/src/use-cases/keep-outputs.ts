import { createHash } from 'node:crypto';
import {
  KeptOutput,
  MAX_OUTPUTS_PER_GENERATION,
  type OutputSource,
  outputKey,
} from '../contracts/outputs.ts';
import { safeMessage } from '../error-summary.ts';
import { sniffMediaType } from '../output-sniffing.ts';
import { GeneratorError } from '../ports/generator.ts';
import type { OutputFetcher, OutputStore } from '../ports/output-store.ts';

export interface KeepOutputsDeps {
  /** `delete` removes what an attempt put and did not record (discardUnrecordedOutputs). */
  store: Pick<OutputStore, 'put' | 'delete'>;
  fetcher: OutputFetcher;
  /** The largest output kept, in bytes (OUTPUT_MAX_BYTES). */
  maxBytes: number;
}

/** An output that can never be kept: the attempt fails for good, retrying would fetch the same. */
const rejected = (message: string) => new GeneratorError('OutputRejected', message, { transient: false });

/**
 * Copies what a backend handed over into the output store, in order, under
 * `generations/{generationId}/{attempt}/{index}-{hash}.{ext}` (`outputKey`): bytes as they are, a
 * `data:` URL decoded, an http(s) URL fetched. Each output is checked against the size limit and
 * sniffed by its leading bytes; too large, of an unknown type, or no output at all is a permanent
 * `OutputRejected`, a fetch that fails a transient `OutputUnavailable`. Keeping the same attempt's
 * outputs again (a repeated callback) writes the same bytes over the same keys, and other bytes
 * under other keys (what is not recorded is the caller's to delete); another attempt's keys are
 * never touched. Every key written is pushed to `written` as it is, so a caller whose keep failed
 * part-way knows what it may have left in the store.
 */
export async function keepOutputs(
  deps: KeepOutputsDeps,
  generationId: string,
  attempt: number,
  sources: readonly OutputSource[],
  written: string[] = [],
): Promise<KeptOutput[]> {
  if (sources.length === 0) throw rejected('the backend returned no output');
  if (sources.length > MAX_OUTPUTS_PER_GENERATION)
    throw rejected(
      `the backend returned ${sources.length} outputs; at most ${MAX_OUTPUTS_PER_GENERATION} are kept`,
    );
  const kept: KeptOutput[] = [];
  for (const [index, source] of sources.entries()) {
    // One output in memory at a time: each is stored before the next is fetched.
    const body = await bytesOf(deps, source, index);
    if (body.length > deps.maxBytes)
      throw rejected(`output ${index} has ${body.length} bytes; the limit is ${deps.maxBytes}`);
    const contentType = sniffMediaType(body);
    if (!contentType)
      throw rejected(`output ${index} is not a PNG, JPEG, WebP, GIF, MP4 or PDF (by its leading bytes)`);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = outputKey(generationId, attempt, index, contentType, sha256);
    // Before the put: one that fails may still have left its object.
    written.push(key);
    await deps.store.put(key, body, contentType);
    kept.push(KeptOutput.parse({ key, contentType, bytes: body.length, sha256 }));
  }
  return kept;
}

async function bytesOf(deps: KeepOutputsDeps, source: OutputSource, index: number): Promise<Uint8Array> {
  if (source.kind === 'bytes') return source.body;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(source.url)?.[1]?.toLowerCase();
  if (scheme === 'data') return decodeDataUrl(source.url, deps.maxBytes, index);
  if (scheme !== 'http' && scheme !== 'https')
    throw rejected(`output ${index} is neither a data URL nor an http(s) URL`);
  let fetched: Uint8Array | 'too-large';
  try {
    fetched = await deps.fetcher.fetch(source.url, { headers: source.headers, maxBytes: deps.maxBytes });
  } catch (e) {
    // The URL itself is left out: a backend's links may carry credentials in their query.
    throw new GeneratorError('OutputUnavailable', `output ${index} could not be fetched: ${safeMessage(e)}`, {
      transient: true,
      cause: e,
    });
  }
  if (fetched === 'too-large')
    throw rejected(`output ${index} is larger than the limit of ${deps.maxBytes} bytes`);
  return fetched;
}

/**
 * `data:[<media type>][;base64],<data>` (RFC 2397). The declared media type is ignored: the bytes
 * are sniffed like any other. The size is checked before decoding, so a huge URL is never expanded.
 */
function decodeDataUrl(url: string, maxBytes: number, index: number): Uint8Array {
  const comma = url.indexOf(',');
  if (comma < 0) throw rejected(`output ${index} is a malformed data URL`);
  const header = url.slice(5, comma);
  const data = url.slice(comma + 1);
  const base64 = /;base64$/i.test(header);
  const estimate = base64 ? Math.floor((data.length * 3) / 4) - 2 : data.length / 3;
  if (estimate > maxBytes) throw rejected(`output ${index} is larger than the limit of ${maxBytes} bytes`);
  if (base64) {
    const clean = data.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw rejected(`output ${index} is a malformed data URL`);
    return new Uint8Array(Buffer.from(clean, 'base64'));
  }
  // Percent-encoded: each %XX is one byte, every other character one ASCII byte.
  if (/%(?![0-9a-f]{2})/i.test(data) || /[^\x20-\x7e]/.test(data))
    throw rejected(`output ${index} is a malformed data URL`);
  return new Uint8Array(
    Buffer.from(
      data.replace(/%([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      'latin1',
    ),
  );
}
