// keepOutputs (core) over a real file store, fetching http(s) outputs from a local server that
// answers as a delivery CDN would (plain GET, Content-Length or chunked, optional auth header).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { httpOutputFetcher } from '@genledger/adapters/outputs/http-output-fetcher';
import { outputKey } from '@genledger/core/contracts/outputs';
import { GeneratorError } from '@genledger/core/ports/generator';
import { keepOutputs } from '@genledger/core/use-cases/keep-outputs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngBytes, tempFileStore } from '../support/outputs.ts';

const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46]);
const webp = new Uint8Array([
  ...new TextEncoder().encode('RIFF'),
  4,
  0,
  0,
  0,
  ...new TextEncoder().encode('WEBPVP8 '),
]);
const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
const mp4 = Uint8Array.from([0, 0, 0, 0x18, ...new TextEncoder().encode('ftypisom'), 0, 0, 2, 0]);
const pdf = new TextEncoder().encode('%PDF-1.4\n');
const big = pngBytes(...new Array(5000).fill(1));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let server: Server;
let base = '';
const seenHeaders: Record<string, string | undefined>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seenHeaders.push({ authorization: req.headers.authorization });
    if (req.url === '/a.jpg') return res.writeHead(200, { 'content-length': jpeg.length }).end(jpeg);
    if (req.url === '/big-declared.png') return res.writeHead(200, { 'content-length': big.length }).end(big);
    if (req.url === '/big-chunked.png') {
      res.writeHead(200); // no Content-Length: the fetcher counts as it reads
      for (let i = 0; i < 10; i++) res.write(big);
      return res.end();
    }
    if (req.url === '/text')
      return res.writeHead(200, { 'content-type': 'image/png' }).end('<html>not an image</html>');
    if (req.url === '/gone') return res.writeHead(404).end();
    if (req.url === '/busy') return res.writeHead(503).end();
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function deps(maxBytes = 16 * 1024) {
  const file = tempFileStore();
  return { file, deps: { store: file.store, fetcher: httpOutputFetcher({ timeoutMs: 5000 }), maxBytes } };
}
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as GeneratorError,
  );

describe('keepOutputs', () => {
  it('keeps bytes, a base64 data URL, a percent-encoded data URL and a fetched URL, in order, sniffed and hashed', async () => {
    const { file, deps: d } = deps();
    const id = crypto.randomUUID();
    const png = pngBytes(1, 2, 3);
    const kept = await keepOutputs(d, id, 1, [
      { kind: 'bytes', body: png },
      { kind: 'url', url: `data:image/webp;base64,${Buffer.from(webp).toString('base64')}` },
      {
        kind: 'url',
        url: `data:application/octet-stream,${[...pdf].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`,
      },
      { kind: 'url', url: `${base}/a.jpg`, headers: { authorization: 'Bearer r8_token' } },
      { kind: 'bytes', body: gif },
      { kind: 'bytes', body: mp4, contentType: 'image/png' }, // what a backend claims is not trusted
    ]);
    expect(kept).toEqual([
      {
        key: outputKey(id, 1, 0, 'image/png', sha(png)),
        contentType: 'image/png',
        bytes: png.length,
        sha256: sha(png),
      },
      {
        key: `generations/${id}/1/1-${sha(webp).slice(0, 32)}.webp`,
        contentType: 'image/webp',
        bytes: webp.length,
        sha256: sha(webp),
      },
      {
        key: `generations/${id}/1/2-${sha(pdf).slice(0, 32)}.pdf`,
        contentType: 'application/pdf',
        bytes: pdf.length,
        sha256: sha(pdf),
      },
      {
        key: `generations/${id}/1/3-${sha(jpeg).slice(0, 32)}.jpg`,
        contentType: 'image/jpeg',
        bytes: jpeg.length,
        sha256: sha(jpeg),
      },
      {
        key: `generations/${id}/1/4-${sha(gif).slice(0, 32)}.gif`,
        contentType: 'image/gif',
        bytes: gif.length,
        sha256: sha(gif),
      },
      {
        key: `generations/${id}/1/5-${sha(mp4).slice(0, 32)}.mp4`,
        contentType: 'video/mp4',
        bytes: mp4.length,
        sha256: sha(mp4),
      },
    ]);
    expect(seenHeaders.at(-1)).toEqual({ authorization: 'Bearer r8_token' });
    for (const [i, bytes] of [png, webp, pdf, jpeg, gif, mp4].entries())
      expect((await file.store.read(kept[i]!.key))?.body).toEqual(new Uint8Array(bytes));
  });

  it("keeping an attempt's outputs again writes the same bytes over the same keys and other bytes under other keys; another attempt's keys are its own", async () => {
    const { file, deps: d } = deps();
    const id = crypto.randomUUID();
    const first = await keepOutputs(d, id, 1, [{ kind: 'bytes', body: pngBytes(1) }]);
    const same = await keepOutputs(d, id, 1, [{ kind: 'bytes', body: pngBytes(1) }]);
    expect(same).toEqual(first);
    const other = await keepOutputs(d, id, 1, [{ kind: 'bytes', body: pngBytes(2) }]);
    expect(other[0]!.key).not.toBe(first[0]!.key);
    expect((await file.store.read(first[0]!.key))?.body).toEqual(pngBytes(1));
    expect((await file.store.read(other[0]!.key))?.body).toEqual(pngBytes(2));
    const next = await keepOutputs(d, id, 2, [{ kind: 'bytes', body: pngBytes(1) }]);
    expect(next[0]!.key).toBe(`generations/${id}/2/0-${sha(pngBytes(1)).slice(0, 32)}.png`);
    expect((await file.store.read(first[0]!.key))?.body).toEqual(pngBytes(1));
  });

  it('rejects for good: too large (bytes, data URL, declared, chunked), unknown type, no output, a scheme it cannot fetch', async () => {
    const { deps: d } = deps(1000);
    const id = crypto.randomUUID();
    const cases: [string, Parameters<typeof keepOutputs>[3]][] = [
      ['bytes too large', [{ kind: 'bytes', body: big }]],
      ['data URL too large', [{ kind: 'url', url: `data:;base64,${Buffer.from(big).toString('base64')}` }]],
      ['declared too large', [{ kind: 'url', url: `${base}/big-declared.png` }]],
      ['chunked too large', [{ kind: 'url', url: `${base}/big-chunked.png` }]],
      ['html labelled image/png', [{ kind: 'url', url: `${base}/text` }]],
      ['unknown bytes', [{ kind: 'bytes', body: new TextEncoder().encode('hello') }]],
      [
        'second of two unknown',
        [
          { kind: 'bytes', body: pngBytes() },
          { kind: 'bytes', body: Uint8Array.of(0, 1, 2) },
        ],
      ],
      ['nothing', []],
      ['file path', [{ kind: 'url', url: '/tmp/out.png' }]],
      ['s3 URL', [{ kind: 'url', url: 's3://bucket/out.png' }]],
      ['malformed data URL', [{ kind: 'url', url: 'data:image/png;base64' }]],
    ];
    for (const [name, sources] of cases) {
      const e = await failure(keepOutputs(d, id, 1, sources));
      expect(e, name).toBeInstanceOf(GeneratorError);
      expect(e, name).toMatchObject({ errorType: 'OutputRejected', transient: false });
    }
  });

  it('a fetch that fails (an error status, a refused connection) is transient: the message is retried', async () => {
    const { deps: d } = deps();
    for (const url of [`${base}/gone`, `${base}/busy`, 'http://127.0.0.1:1/out.png']) {
      const e = await failure(keepOutputs(d, crypto.randomUUID(), 1, [{ kind: 'url', url }]));
      expect(e, url).toMatchObject({ errorType: 'OutputUnavailable', transient: true });
      expect(e?.message, url).not.toContain('127.0.0.1'); // links may carry credentials
    }
  });
});
