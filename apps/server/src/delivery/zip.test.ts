import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { type ZipOptions, zipChunks, zipLayout } from './zip.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const files = [
  { name: 'course/lesson 01.mp4', content: randomBytes(200_000) },
  { name: 'course/Bài giảng.pdf', content: Buffer.from('%PDF-1.4 tiny') },
  { name: 'course/empty.txt', content: Buffer.alloc(0) },
];

async function build(options: ZipOptions = {}) {
  const layout = zipLayout(
    files.map((file) => ({
      name: file.name,
      size: file.content.length,
      mtime: new Date('2025-06-01T10:20:30Z'),
    })),
    options,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of zipChunks(layout, async function* (index) {
    const content = files[index]!.content;
    // In pieces, as a file stream would give it.
    for (let at = 0; at < content.length; at += 65_536) yield content.subarray(at, at + 65_536);
  })) {
    chunks.push(chunk);
  }
  return { layout, archive: Buffer.concat(chunks) };
}

/** What Python's zipfile reads back: each name with the sha256 of its bytes (CRCs checked). */
async function readBack(archive: Buffer): Promise<Record<string, string>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-zip-'));
  dirs.push(dir);
  const file = path.join(dir, 'a.zip');
  await writeFile(file, archive);
  const script = [
    'import hashlib, json, sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1])',
    'assert z.testzip() is None',
    'print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  const unzip = spawnSync('unzip', ['-tq', file], { encoding: 'utf8' });
  expect(unzip.status, unzip.stdout + unzip.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, string>;
}

const expected = Object.fromEntries(
  files.map((file) => [file.name, createHash('sha256').update(file.content).digest('hex')]),
);

test('a streamed store-only ZIP has exactly its announced length and reads back whole', async () => {
  const { layout, archive } = await build();
  expect(archive.length).toBe(layout.size);
  expect(layout.zip64End).toBe(false);
  expect(await readBack(archive)).toEqual(expected);
});

test('the ZIP64 records (used past 4 GiB) read back whole too', async () => {
  const { layout, archive } = await build({ forceZip64: true });
  expect(layout.entries.every((entry) => entry.zip64)).toBe(true);
  expect(archive.length).toBe(layout.size);
  expect(await readBack(archive)).toEqual(expected);
});

test('sizes past 4 GiB switch to ZIP64 on their own', () => {
  const layout = zipLayout([
    { name: 'big.mkv', size: 5 * 2 ** 30, mtime: new Date() },
    { name: 'after.txt', size: 10, mtime: new Date() },
  ]);
  expect(layout.entries.map((entry) => entry.zip64)).toEqual([true, true]);
  expect(layout.zip64End).toBe(true);
});

test('a file that is not the size it was announced with cuts the archive with an error', async () => {
  const layout = zipLayout([{ name: 'a', size: 10, mtime: new Date() }]);
  const read = async function* () {
    yield Buffer.alloc(4);
  };
  await expect(
    (async () => {
      for await (const _ of zipChunks(layout, read));
    })(),
  ).rejects.toThrow(/a: 4 bytes read, 10 expected/);
});
