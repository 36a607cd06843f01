import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type CourseSource, startCourseSource } from '@paidflow/course-source';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { classify, HttpStatusError, ManifestError } from '../errors.ts';
import { downloadFiles } from './download.ts';
import { fetchManifest } from './enroll.ts';

let source: CourseSource;
let garbage: http.Server;
let garbageUrl: string;

beforeAll(async () => {
  source = await startCourseSource({ flakyFailures: 100 });
  // A misbehaving third-party source: answers 200 with whatever the path asks for.
  garbage = http.createServer((req, res) => {
    const bodies: Record<string, string> = {
      '/not-json': '<html>maintenance</html>',
      '/wrong-shape': JSON.stringify({ title: 'x', files: [] }),
      '/path-name': JSON.stringify({
        title: 'x',
        files: [{ name: '../../etc/passwd', url: 'http://127.0.0.1/x', size: 1 }],
      }),
      '/ftp-file': JSON.stringify({
        title: 'x',
        files: [{ name: 'a.bin', url: 'ftp://127.0.0.1/a', size: 1 }],
      }),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bodies[req.url ?? ''] ?? '{}');
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  garbageUrl = `http://127.0.0.1:${(garbage.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await source.close();
  await new Promise((resolve) => garbage.close(resolve));
});

function fetchIt(url: string) {
  return fetchManifest(url, { signal: new AbortController().signal, timeoutMs: 5_000 }).catch(
    (error: unknown) => error,
  );
}

test('any slug is a course whose manifest follows the contract', async () => {
  const manifest = await fetchManifest(source.manifestUrl('whatever-course-42', { files: 2, size: 10 }), {
    signal: new AbortController().signal,
    timeoutMs: 5_000,
  });
  expect(manifest.title).toBe('Whatever Course 42');
  expect(manifest.files.map((file) => [file.name, file.size])).toEqual([
    ['lesson-01.bin', 10],
    ['lesson-02.bin', 10],
  ]);
  expect(manifest.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
});

test('a 404 source is NOT_FOUND and not retried', async () => {
  const error = await fetchIt(source.manifestUrl('missing-course'));
  expect(error).toBeInstanceOf(HttpStatusError);
  expect((error as HttpStatusError).status).toBe(404);
  expect(classify(error)).toEqual({ type: 'NOT_FOUND', retryable: false, severity: 'error' });
});

test('a 403 source is PERMISSION and not retried', async () => {
  expect(classify(await fetchIt(source.manifestUrl('forbidden-course')))).toMatchObject({
    type: 'PERMISSION',
    retryable: false,
  });
});

test('a 401 source is AUTHENTICATION, critical and not retried', async () => {
  expect(classify(await fetchIt(source.manifestUrl('unauthorized-course')))).toEqual({
    type: 'AUTHENTICATION',
    retryable: false,
    severity: 'critical',
  });
});

test('a 503 from the source is a retryable NETWORK error', async () => {
  const course = source.manifestUrl('flaky-503', { files: 1, size: 100, flaky: '503' });
  const manifest = await fetchManifest(course, { signal: new AbortController().signal, timeoutMs: 5_000 });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-enroll-'));
  try {
    const error = await downloadFiles({
      files: manifest.files,
      dir,
      signal: new AbortController().signal,
      idleTimeoutMs: 5_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(503);
    expect(classify(error)).toMatchObject({ type: 'NETWORK', retryable: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a connection reset (ECONNRESET) is a retryable NETWORK error', async () => {
  const error = await fetchIt(source.manifestUrl('reset-course'));
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error & { cause: { code: string } }).cause.code).toBe('ECONNRESET');
  expect(classify(error)).toMatchObject({ type: 'NETWORK', retryable: true });
});

test('a source nobody listens on is a retryable NETWORK error', async () => {
  const closed = await startCourseSource();
  const url = closed.manifestUrl('gone');
  await closed.close();
  expect(classify(await fetchIt(url))).toMatchObject({ type: 'NETWORK', retryable: true });
});

test('a manifest that breaks the contract is refused for good, with the reason', async () => {
  for (const [path, reason] of [
    ['/not-json', /not JSON/],
    ['/wrong-shape', /files/],
    ['/path-name', /a file name, not a path/],
    ['/ftp-file', /url/],
  ] as const) {
    const error = await fetchIt(`${garbageUrl}${path}`);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toMatch(reason);
    expect(classify(error).retryable).toBe(false);
  }
  expect(await fetchIt('not a url')).toBeInstanceOf(ManifestError);
  expect(await fetchIt('file:///etc/passwd')).toBeInstanceOf(ManifestError);
});
