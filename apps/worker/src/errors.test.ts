import { expect, test } from 'vitest';
import {
  classify,
  describeError,
  HttpStatusError,
  IdleTimeoutError,
  IntegrityError,
  ManifestError,
} from './errors.ts';

test('HTTP errors are classified by their status', () => {
  expect(classify(new HttpStatusError(404, 'http://x')).type).toBe('NOT_FOUND');
  expect(classify(new HttpStatusError(403, 'http://x')).type).toBe('PERMISSION');
  expect(classify(new HttpStatusError(401, 'http://x'))).toMatchObject({
    type: 'AUTHENTICATION',
    retryable: false,
  });
  expect(classify(new HttpStatusError(503, 'http://x'))).toMatchObject({ type: 'NETWORK', retryable: true });
  expect(classify(new HttpStatusError(504, 'http://x'))).toMatchObject({ type: 'TIMEOUT', retryable: true });
});

test('file system errors are classified by their code', () => {
  const enospc = Object.assign(new Error('write failed'), { code: 'ENOSPC' });
  expect(classify(enospc)).toEqual({ type: 'DISK_SPACE', retryable: true, severity: 'critical' });
  const eacces = Object.assign(new Error('open failed'), { code: 'EACCES' });
  expect(classify(eacces)).toMatchObject({ type: 'PERMISSION', retryable: false });
});

test('integrity, idle timeouts and bad manifests have their own classes', () => {
  expect(classify(new IntegrityError('sha256 mismatch'))).toMatchObject({ type: 'NETWORK', retryable: true });
  expect(classify(new IdleTimeoutError(100, 'http://x'))).toMatchObject({ type: 'TIMEOUT', retryable: true });
  expect(classify(new ManifestError('not JSON'))).toMatchObject({ type: 'UNKNOWN', retryable: false });
});

test('an error message names its cause, as fetch hides the useful part there', () => {
  const error = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') });
  expect(describeError(error)).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
  expect(describeError('plain')).toBe('plain');
});
