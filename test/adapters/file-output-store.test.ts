import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileOutputStore } from '@genledger/adapters/outputs/file-output-store';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'gl-outputs-'));
const outputs = join(dir, 'outputs');
mkdirSync(join(outputs, 'nested'), { recursive: true });
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
writeFileSync(join(outputs, 'a.png'), png);
writeFileSync(join(outputs, 'nested', 'b.JPG'), png);
writeFileSync(join(outputs, 'c.bin'), png);
writeFileSync(join(dir, 'secret.png'), 'not yours');
symlinkSync(join(dir, 'secret.png'), join(outputs, 'escape.png'));
symlinkSync(dir, join(outputs, 'parent'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('file output store', () => {
  const store = fileOutputStore(outputs);

  it('reads a file under its directory with its media type, by absolute or working-directory path', async () => {
    expect(await store.read(join(outputs, 'a.png'))).toEqual({ body: png, contentType: 'image/png' });
    expect((await store.read(relative(process.cwd(), join(outputs, 'a.png'))))?.contentType).toBe(
      'image/png',
    );
    expect((await store.read(join(outputs, 'nested', 'b.JPG')))?.contentType).toBe('image/jpeg');
    expect((await store.read(join(outputs, 'c.bin')))?.contentType).toBe('application/octet-stream');
  });

  it('holds nothing outside its directory: `..`, other absolute paths, links out, the directory itself', async () => {
    for (const path of [
      join(outputs, '..', 'secret.png'),
      join(dir, 'secret.png'),
      join(outputs, 'escape.png'),
      join(outputs, 'parent', 'secret.png'),
      outputs,
      '/etc/passwd',
    ]) {
      expect(await store.read(path), path).toBeUndefined();
    }
  });

  it('answers undefined for what it does not have, or a path no file can have', async () => {
    expect(await store.read(join(outputs, 'missing.png'))).toBeUndefined();
    expect(await store.read(join(outputs, 'nested'))).toBeUndefined();
    expect(await store.read('')).toBeUndefined();
    expect(await store.read(`${join(outputs, 'a.png')}\0.png`)).toBeUndefined();
    expect(
      await fileOutputStore(join(dir, 'no-such-dir')).read(join(dir, 'no-such-dir', 'a.png')),
    ).toBeUndefined();
  });
});
