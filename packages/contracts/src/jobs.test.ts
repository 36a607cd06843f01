import { expect, test } from 'vitest';
import {
  CourseManifest,
  DOWNLOAD_ATTEMPTS,
  DOWNLOAD_JOB_OPTIONS,
  DOWNLOAD_QUEUE,
  DownloadJobData,
  downloadJobId,
  downloadJobOptions,
  JOB_PRIORITIES,
  parseDownloadJobId,
} from './jobs.ts';

const manifest = {
  title: 'React Masterclass',
  files: [
    {
      name: 'lesson-01.mp4',
      url: 'http://127.0.0.1:8080/courses/react/lesson-01.mp4',
      size: 52_428_800,
      sha256: 'a'.repeat(64),
    },
    { name: 'Bài 2 - giới thiệu.pdf', url: 'https://cdn.example.com/react/2.pdf', size: 0 },
  ],
};

test('the downloads queue is called downloads', () => {
  expect(DOWNLOAD_QUEUE).toBe('downloads');
});

test('DownloadJobData accepts a task to download and defaults the reason to payment', () => {
  expect(DownloadJobData.parse({ taskId: 7, orderId: 1042 })).toEqual({
    taskId: 7,
    orderId: 1042,
    reason: 'payment',
  });
  for (const reason of ['payment', 'retry', 'reconcile']) {
    expect(DownloadJobData.parse({ taskId: 7, orderId: 1042, reason }).reason).toBe(reason);
  }
});

test('DownloadJobData rejects a missing or non-positive id and an unknown reason', () => {
  expect(DownloadJobData.safeParse({ orderId: 1042 }).success).toBe(false);
  expect(DownloadJobData.safeParse({ taskId: 7 }).success).toBe(false);
  expect(DownloadJobData.safeParse({ taskId: 0, orderId: 1042 }).success).toBe(false);
  expect(DownloadJobData.safeParse({ taskId: '7', orderId: 1042 }).success).toBe(false);
  expect(DownloadJobData.safeParse({ taskId: 7, orderId: 1042, reason: 'manual' }).success).toBe(false);
  expect(DownloadJobData.safeParse(null).success).toBe(false);
});

test('a job id differs per enqueue of a task and is a valid BullMQ custom id', () => {
  expect(downloadJobId(7, 1)).toBe('task-7-1');
  expect(downloadJobId(7, 2)).not.toBe(downloadJobId(7, 1));
  expect(downloadJobId(71, 1)).not.toBe(downloadJobId(7, 11));
  // BullMQ rejects custom ids that are integers or contain its key separator.
  const id = downloadJobId(123, 4);
  expect(id).not.toContain(':');
  expect(Number.isInteger(Number(id))).toBe(false);
});

test('CourseManifest accepts a realistic manifest', () => {
  expect(CourseManifest.parse(manifest)).toEqual(manifest);
});

test('CourseManifest rejects file names that would escape the task folder', () => {
  for (const name of ['../x', 'a/b', '..', '.', '/etc/passwd', '..\\x', 'a\\b', '']) {
    const bad = { ...manifest, files: [{ ...manifest.files[0], name }] };
    expect(CourseManifest.safeParse(bad).success, name).toBe(false);
  }
  // Dots inside a name are fine.
  const dotted = { ...manifest, files: [{ ...manifest.files[0], name: '..hidden..mp4' }] };
  expect(CourseManifest.safeParse(dotted).success).toBe(true);
});

test('CourseManifest rejects an empty file list, bad urls, negative sizes and bad checksums', () => {
  const file = manifest.files[0];
  expect(CourseManifest.safeParse({ ...manifest, files: [] }).success).toBe(false);
  expect(CourseManifest.safeParse({ ...manifest, title: '' }).success).toBe(false);
  expect(CourseManifest.safeParse({ ...manifest, files: [{ ...file, url: 'not a url' }] }).success).toBe(
    false,
  );
  expect(CourseManifest.safeParse({ ...manifest, files: [{ ...file, size: -1 }] }).success).toBe(false);
  expect(CourseManifest.safeParse({ ...manifest, files: [{ ...file, size: 1.5 }] }).success).toBe(false);
  expect(
    CourseManifest.safeParse({ ...manifest, files: [{ ...file, sha256: 'A'.repeat(64) }] }).success,
  ).toBe(false);
  expect(
    CourseManifest.safeParse({ ...manifest, files: [{ ...file, sha256: 'a'.repeat(63) }] }).success,
  ).toBe(false);
});

test('a manifest may only point at http or https files, never local ones', () => {
  const manifest = (url: string) => ({ title: 'T', files: [{ name: 'a.mp4', url, size: 1 }] });
  expect(CourseManifest.safeParse(manifest('https://cdn.example.com/a.mp4')).success).toBe(true);
  expect(CourseManifest.safeParse(manifest('http://127.0.0.1:4100/a.mp4')).success).toBe(true);
  for (const url of ['file:///etc/passwd', 'ftp://example.com/a', 'javascript:alert(1)']) {
    expect(CourseManifest.safeParse(manifest(url)).success, url).toBe(false);
  }
});

test('a job id parses back to its task and generation; any other shape is none', () => {
  expect(parseDownloadJobId(downloadJobId(123, 4))).toEqual({ taskId: 123, generation: 4 });
  for (const other of ['garbage-1', 'task-7', 'task-7-1-2', 'task-x-1', ' task-7-1', 'task-7-1 ', '']) {
    expect(parseDownloadJobId(other), other).toBeNull();
  }
});

test('DownloadJobData counts the attempts earlier jobs used, none by default', () => {
  expect(
    DownloadJobData.parse({ taskId: 7, orderId: 1, reason: 'reconcile', attemptsBefore: 2 }),
  ).toMatchObject({
    attemptsBefore: 2,
  });
  expect(DownloadJobData.parse({ taskId: 7, orderId: 1 }).attemptsBefore).toBeUndefined();
  expect(DownloadJobData.safeParse({ taskId: 7, orderId: 1, attemptsBefore: -1 }).success).toBe(false);
});

test('every job carries a priority, a VIP order sooner (lower) than a normal one', () => {
  expect(downloadJobOptions(0, 'vip').priority).toBe(JOB_PRIORITIES.vip);
  expect(downloadJobOptions(2, 'normal').priority).toBe(JOB_PRIORITIES.normal);
  // BullMQ takes jobs without a priority (0) first: no order may go without one.
  expect(JOB_PRIORITIES.vip).toBeGreaterThan(0);
  expect(JOB_PRIORITIES.vip).toBeLessThan(JOB_PRIORITIES.normal);
});

test('a job gets what is left of the attempt budget, and at least one attempt', () => {
  expect(downloadJobOptions(0)).toEqual({ ...DOWNLOAD_JOB_OPTIONS, priority: JOB_PRIORITIES.normal });
  expect(DOWNLOAD_JOB_OPTIONS.attempts).toBe(DOWNLOAD_ATTEMPTS);
  expect(downloadJobOptions(1)).toMatchObject({
    attempts: DOWNLOAD_ATTEMPTS - 1,
    backoff: { type: 'exponential' },
  });
  expect(downloadJobOptions(DOWNLOAD_ATTEMPTS + 2).attempts).toBe(1);
  // Dead letters are kept until someone acts.
  expect(DOWNLOAD_JOB_OPTIONS.removeOnFail).toBe(false);
});
