import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { IntegrityError } from '../errors.ts';
import type { VerifiedFile } from './download.ts';
import { deliverFiles, slugify, verifyDelivered } from './upload.ts';

function verified(name: string, content: string): VerifiedFile {
  return {
    name,
    size: Buffer.byteLength(content),
    sha256: createHash('sha256').update(content).digest('hex'),
  };
}
const A = verified('a.bin', 'aaa');
const B = verified('b.bin', 'bbbb');

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function setup() {
  const root = await mkdtemp(path.join(os.tmpdir(), 'paidflow-upload-'));
  dirs.push(root);
  const sourceDir = path.join(root, 'storage', '5');
  await mkdir(sourceDir, { recursive: true });
  await writeFile(path.join(sourceDir, 'a.bin'), 'aaa');
  await writeFile(path.join(sourceDir, 'b.bin'), 'bbbb');
  return { root, sourceDir, deliveryDir: path.join(root, 'delivery') };
}

/** Delivers a.bin and b.bin as task 5 "Intro Course" of order DH123456. */
function deliverIntroCourse(sourceDir: string, deliveryDir: string) {
  return deliverFiles({
    sourceDir,
    files: [A, B],
    deliveryDir,
    orderCode: 'DH123456',
    taskId: 5,
    title: 'Intro Course',
  });
}

test('course titles become safe directory names', () => {
  expect(slugify('Intro to TypeScript: Part 2!')).toBe('intro-to-typescript-part-2');
  expect(slugify('Lập trình Node.js')).toBe('lap-trinh-node-js');
  expect(slugify('../../etc')).toBe('etc');
  expect(slugify('***')).toBe('course');
});

test('files are delivered to <order>/<task>-<slug>/ with nothing temporary left', async () => {
  const { sourceDir, deliveryDir } = await setup();
  const destination = await deliverIntroCourse(sourceDir, deliveryDir);
  expect(destination).toBe(path.join(deliveryDir, 'DH123456', '5-intro-course'));
  expect((await readdir(destination)).sort()).toEqual(['a.bin', 'b.bin']);
  expect(await readFile(path.join(destination, 'b.bin'), 'utf8')).toBe('bbbb');
  expect(await readdir(path.join(deliveryDir, 'DH123456'))).toEqual(['5-intro-course']);
});

test('a destination left by an earlier attempt is replaced whole', async () => {
  const { sourceDir, deliveryDir } = await setup();
  const stale = path.join(deliveryDir, 'DH123456', '5-intro-course');
  await mkdir(stale, { recursive: true });
  await writeFile(path.join(stale, 'old.bin'), 'old');
  const destination = await deliverIntroCourse(sourceDir, deliveryDir);
  expect((await readdir(destination)).sort()).toEqual(['a.bin', 'b.bin']);
});

test('a failed delivery leaves neither a destination nor a temporary directory', async () => {
  const { sourceDir, deliveryDir } = await setup();
  const error = await deliverFiles({
    sourceDir,
    files: [A, verified('missing.bin', 'x')],
    deliveryDir,
    orderCode: 'DH123456',
    taskId: 5,
    title: 'Intro Course',
  }).catch((e: unknown) => e);
  expect((error as NodeJS.ErrnoException).code).toBe('ENOENT');
  expect(await readdir(path.join(deliveryDir, 'DH123456'))).toEqual([]);
});

test('a delivered copy is checked where the customer reads it: size and sha256', async () => {
  const { sourceDir, deliveryDir } = await setup();
  const destination = await deliverIntroCourse(sourceDir, deliveryDir);
  await verifyDelivered(destination, [A, B]);
  // Same size, other bytes: the hash catches it.
  await writeFile(path.join(destination, 'b.bin'), 'BBBB');
  const changed = await verifyDelivered(destination, [A, B]).catch((e: unknown) => e);
  expect(changed).toBeInstanceOf(IntegrityError);
  expect((changed as Error).message).toMatch(/b\.bin.*sha256/);
  // Another size.
  await appendFile(path.join(destination, 'a.bin'), 'a');
  const grown = await verifyDelivered(destination, [A]).catch((e: unknown) => e);
  expect((grown as Error).message).toMatch(/a\.bin: the delivered copy has 4 bytes, expected 3/);
  // Missing altogether.
  await rm(path.join(destination, 'a.bin'));
  expect(await verifyDelivered(destination, [A]).catch((e: unknown) => e)).toBeInstanceOf(IntegrityError);
});
