import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DeliveredFile } from '@paidflow/contracts';
import { afterEach, expect, test } from 'vitest';
import { IntegrityError } from '../errors.ts';
import type { VerifiedFile } from '../steps/download.ts';
import { contentTypeOf } from './content-type.ts';
import { createDestination } from './index.ts';
import { localTaskDirectory } from './local.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function verified(name: string, content: string): VerifiedFile {
  return {
    name,
    size: Buffer.byteLength(content),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}

async function setup(files: Record<string, string>) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'paidflow-destination-'));
  dirs.push(root);
  const sourceDir = path.join(root, 'storage');
  await mkdir(sourceDir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(sourceDir, name), content);
  const deliveryDir = path.join(root, 'delivery');
  const destination = createDestination({ DELIVERY_DESTINATION: 'local', DELIVERY_DIR: deliveryDir });
  return { sourceDir, deliveryDir, destination };
}

test('the local destination places the files under DELIVERY_DIR and reports their manifest', async () => {
  const files = { 'lesson-01.mp4': 'video bytes', 'Bài giảng.pdf': 'pdf', 'notes.weird': 'x' };
  const { sourceDir, deliveryDir, destination } = await setup(files);
  const list = Object.entries(files).map(([name, content]) => verified(name, content));
  const set = await destination.deliver({
    sourceDir,
    files: list,
    orderCode: 'DH1',
    taskId: 9,
    title: 'Lập trình',
  });
  expect(set.location).toBe(path.join(deliveryDir, 'DH1', '9-lap-trinh'));
  expect(set.location).toBe(
    localTaskDirectory(deliveryDir, { orderCode: 'DH1', taskId: 9, title: 'Lập trình' }),
  );
  expect((await readdir(set.location)).sort()).toEqual(Object.keys(files).sort());
  const manifest = await destination.verify(set, list);
  expect(manifest).toEqual([
    { path: 'lesson-01.mp4', size: 11, contentType: 'video/mp4' },
    { path: 'Bài giảng.pdf', size: 3, contentType: 'application/pdf' },
    { path: 'notes.weird', size: 1, contentType: 'application/octet-stream' },
  ]);
  // What the worker reports is what the contract (and so the server) accepts.
  for (const entry of manifest) expect(DeliveredFile.parse(entry)).toEqual(entry);
  expect(await readFile(path.join(set.location, 'Bài giảng.pdf'), 'utf8')).toBe('pdf');
});

test('the manifest is never reported for a delivered copy that differs from the verified file', async () => {
  const { sourceDir, destination } = await setup({ 'a.bin': 'aaaa' });
  const list = [verified('a.bin', 'aaaa')];
  const set = await destination.deliver({ sourceDir, files: list, orderCode: 'DH2', taskId: 1, title: 'A' });
  // A copy changed in place (same size, other bytes), then a missing one.
  await writeFile(path.join(set.location, 'a.bin'), 'AAAA');
  await expect(destination.verify(set, list)).rejects.toBeInstanceOf(IntegrityError);
  await rm(path.join(set.location, 'a.bin'));
  await expect(destination.verify(set, list)).rejects.toThrow(/a\.bin: the delivered copy has no bytes/);
});

test('a second delivery of the task replaces the first whole (rename-aside), leaving nothing temporary', async () => {
  const { sourceDir, deliveryDir, destination } = await setup({ 'a.bin': 'new' });
  const stale = path.join(deliveryDir, 'DH3', '4-course');
  await mkdir(stale, { recursive: true });
  await writeFile(path.join(stale, 'old.bin'), 'old');
  const list = [verified('a.bin', 'new')];
  const set = await destination.deliver({ sourceDir, files: list, orderCode: 'DH3', taskId: 4, title: '' });
  expect(set.location).toBe(stale);
  expect(await readdir(stale)).toEqual(['a.bin']);
  expect(await readdir(path.join(deliveryDir, 'DH3'))).toEqual(['4-course']);
  expect((await stat(path.join(stale, 'a.bin'))).size).toBe(3);
});

test('media types come from the extension, whatever its case', () => {
  expect(contentTypeOf('x.MP4')).toBe('video/mp4');
  expect(contentTypeOf('subs.vtt')).toBe('text/vtt; charset=utf-8');
  expect(contentTypeOf('README')).toBe('application/octet-stream');
});
