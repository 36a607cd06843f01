import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CourseManifest } from '@paidflow/contracts';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { classify, IntegrityError } from '../errors.ts';
import { type DownloadFilesOptions, downloadFiles } from './download.ts';
import { fetchManifest } from './enroll.ts';

let source: CourseSource;
const dirs: string[] = [];

beforeAll(async () => {
  source = await startCourseSource({ flakyFailures: 1 });
});
afterAll(async () => {
  await source.close();
});
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-download-'));
  dirs.push(dir);
  return dir;
}

function manifest(slug: string, query: Record<string, string | number>): Promise<CourseManifest> {
  return fetchManifest(source.manifestUrl(slug, query), {
    signal: new AbortController().signal,
    timeoutMs: 5_000,
  });
}

/** downloadFiles with this file's defaults: a signal nobody aborts and a 5 s idle limit. */
function downloadInto(
  dir: string,
  files: CourseManifest['files'],
  overrides: Partial<DownloadFilesOptions> = {},
) {
  return downloadFiles({
    files,
    dir,
    signal: new AbortController().signal,
    idleTimeoutMs: 5_000,
    ...overrides,
  });
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

test('downloads every file of a course with the sizes and hashes of its manifest', async () => {
  const course = await manifest('sizes-course', { files: 3, min: 70_000, max: 300_000 });
  const dir = await tempDir();
  const seen: number[] = [];
  const result = await downloadInto(dir, course.files, { onProgress: (bytes) => seen.push(bytes) });
  const total = course.files.reduce((sum, file) => sum + file.size, 0);
  expect(result).toEqual({ files: 3, bytes: total });
  for (const file of course.files) {
    const target = path.join(dir, file.name);
    expect((await stat(target)).size).toBe(file.size);
    expect(await sha256(target)).toBe(file.sha256);
  }
  expect((await readdir(dir)).sort()).toEqual(course.files.map((file) => file.name).sort());
  // Progress only grows, and ends at the total.
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  expect(seen.at(-1)).toBe(total);
});

test('a sha256 mismatch is a retryable integrity error and leaves no file behind', async () => {
  const course = await manifest('corrupt-course', { files: 1, size: 100_000 });
  const dir = await tempDir();
  const error = await downloadInto(dir, course.files).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as Error).message).toMatch(/sha256/);
  expect(classify(error)).toMatchObject({ type: 'NETWORK', retryable: true });
  // Neither a final file nor a .part remains.
  expect(await readdir(dir)).toEqual([]);
  // The next attempt gets good bytes (the source corrupts only the first request) and succeeds.
  await downloadInto(dir, course.files);
  expect(await sha256(path.join(dir, course.files[0]!.name))).toBe(course.files[0]!.sha256);
});

test('a size that differs from the manifest is detected', async () => {
  const course = await manifest('size-mismatch', { files: 1, size: 50_000 });
  const dir = await tempDir();
  const wrong = course.files.map((file) => ({ ...file, size: file.size + 10, sha256: undefined }));
  const error = await downloadInto(dir, wrong).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(IntegrityError);
  expect(await readdir(dir)).toEqual([]);
});

test('a connection cut mid-body is a retryable NETWORK error and leaves no partial file as final', async () => {
  const course = await manifest('flaky-cut', { files: 1, size: 400_000, flaky: 'cut' });
  const dir = await tempDir();
  const error = await downloadInto(dir, course.files).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect(classify(error)).toMatchObject({ type: 'NETWORK', retryable: true });
  expect(await readdir(dir)).toEqual([]);
});

test('a file verified by an earlier attempt is kept, not downloaded again', async () => {
  const course = await manifest('resume-course', { files: 2, size: 60_000 });
  const dir = await tempDir();
  await downloadInto(dir, course.files.slice(0, 1));
  const before = source.requestCount('resume-course', course.files[0]!.name);
  await downloadInto(dir, course.files);
  expect(source.requestCount('resume-course', course.files[0]!.name)).toBe(before);
  expect(source.requestCount('resume-course', course.files[1]!.name)).toBe(1);
  // A damaged leftover with the right size is downloaded again.
  await writeFile(path.join(dir, course.files[1]!.name), Buffer.alloc(60_000));
  await downloadInto(dir, course.files);
  expect(await sha256(path.join(dir, course.files[1]!.name))).toBe(course.files[1]!.sha256);
});

test('a source that stops sending is aborted as a TIMEOUT', async () => {
  // 2 KB/s with a 300 ms idle limit: the first chunk (1 KiB) arrives, then the gap exceeds the limit.
  const course = await manifest('idle-course', { files: 1, size: 200_000, bps: 2_000 });
  const dir = await tempDir();
  const error = await downloadInto(dir, course.files, { idleTimeoutMs: 300 }).catch((e: unknown) => e);
  expect(classify(error)).toMatchObject({ type: 'TIMEOUT', retryable: true });
  expect(await readdir(dir)).toEqual([]);
});

test('an abort stops the download with the abort reason and removes the partial file', async () => {
  const course = await manifest('abort-course', { files: 1, size: 2_000_000, bps: 500_000 });
  const dir = await tempDir();
  const controller = new AbortController();
  const reason = new Error('stop here');
  const running = downloadInto(dir, course.files, { signal: controller.signal });
  setTimeout(() => controller.abort(reason), 300);
  await expect(running).rejects.toBe(reason);
  expect(await readdir(dir)).toEqual([]);
});
