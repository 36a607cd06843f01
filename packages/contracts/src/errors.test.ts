import { expect, test } from 'vitest';
import { ERROR_TYPES } from './constants.ts';
import { classifyError, ErrorType, toErrorLike } from './errors.ts';

test('running out of disk is a critical DISK_SPACE error, by code or by message', () => {
  expect(classifyError({ code: 'ENOSPC' })).toEqual({
    type: 'DISK_SPACE',
    retryable: true,
    severity: 'critical',
  });
  expect(classifyError({ message: 'ENOSPC: No space left on device, write' }).type).toBe('DISK_SPACE');
  expect(classifyError({ message: 'No space left on device' })).toEqual({
    type: 'DISK_SPACE',
    retryable: true,
    severity: 'critical',
  });
  expect(classifyError({ httpStatus: 507 }).type).toBe('DISK_SPACE');
});

test('HTTP 401 is a critical AUTHENTICATION error that retrying cannot fix', () => {
  expect(classifyError({ httpStatus: 401 })).toEqual({
    type: 'AUTHENTICATION',
    retryable: false,
    severity: 'critical',
  });
  expect(classifyError({ message: 'Invalid credentials for the course site' }).type).toBe('AUTHENTICATION');
});

test('HTTP 403 and EACCES are PERMISSION errors that are not retried', () => {
  expect(classifyError({ httpStatus: 403 })).toEqual({
    type: 'PERMISSION',
    retryable: false,
    severity: 'error',
  });
  expect(classifyError({ code: 'EACCES', message: "EACCES: permission denied, open '/data/x'" })).toEqual({
    type: 'PERMISSION',
    retryable: false,
    severity: 'error',
  });
  expect(classifyError({ message: 'Permission denied' }).type).toBe('PERMISSION');
});

test('HTTP 404 is a NOT_FOUND error that is not retried', () => {
  expect(classifyError({ httpStatus: 404 })).toEqual({
    type: 'NOT_FOUND',
    retryable: false,
    severity: 'error',
  });
  expect(classifyError({ httpStatus: 410 }).type).toBe('NOT_FOUND');
  expect(classifyError({ code: 'ENOENT' }).type).toBe('NOT_FOUND');
});

test('timeouts are retryable TIMEOUT errors: ETIMEDOUT, TimeoutError, 408 and 504', () => {
  const timeout = { type: 'TIMEOUT', retryable: true, severity: 'error' };
  expect(classifyError({ code: 'ETIMEDOUT' })).toEqual(timeout);
  expect(
    classifyError({ name: 'TimeoutError', message: 'The operation was aborted due to timeout' }),
  ).toEqual(timeout);
  expect(classifyError({ httpStatus: 408 })).toEqual(timeout);
  expect(classifyError({ httpStatus: 504 })).toEqual(timeout);
  expect(classifyError({ message: 'Request timed out after 30s' })).toEqual(timeout);
});

test('connection failures and server errors are retryable NETWORK errors', () => {
  const network = { type: 'NETWORK', retryable: true, severity: 'error' };
  expect(classifyError({ code: 'ECONNRESET' })).toEqual(network);
  expect(classifyError({ code: 'ECONNREFUSED' })).toEqual(network);
  expect(classifyError({ httpStatus: 500 })).toEqual(network);
  expect(classifyError({ httpStatus: 503 })).toEqual(network);
  expect(classifyError({ httpStatus: 429 })).toEqual(network);
  expect(classifyError({ message: 'socket hang up' })).toEqual(network);
});

test('anything unrecognised is UNKNOWN and still retried', () => {
  expect(classifyError({})).toEqual({ type: 'UNKNOWN', retryable: true, severity: 'error' });
  expect(classifyError({ message: 'Something odd happened' }).type).toBe('UNKNOWN');
  expect(classifyError({ code: 'ESOMETHING' }).type).toBe('UNKNOWN');
  expect(classifyError({ httpStatus: 400 }).type).toBe('UNKNOWN');
  expect(classifyError({ code: null, message: null, httpStatus: null, name: null }).type).toBe('UNKNOWN');
});

test('codes are matched whatever their case', () => {
  expect(classifyError({ code: 'econnreset' }).type).toBe('NETWORK');
});

test('the HTTP status wins over the code, and the code over the message', () => {
  // A 404 whose socket then reset is still a missing resource.
  expect(
    classifyError({ httpStatus: 404, code: 'ECONNRESET', message: 'No space left on device' }).type,
  ).toBe('NOT_FOUND');
  expect(classifyError({ code: 'ECONNRESET', message: 'No space left on device' }).type).toBe('NETWORK');
  expect(classifyError({ code: 'ENOSPC', message: 'Request timed out' }).type).toBe('DISK_SPACE');
  // A status that says nothing on its own falls through to the code, then to the message.
  expect(classifyError({ httpStatus: 400, code: 'ETIMEDOUT', message: 'not found' }).type).toBe('TIMEOUT');
  expect(classifyError({ httpStatus: 400, code: 'EWHATEVER', message: 'not found' }).type).toBe('NOT_FOUND');
});

test('every error type is one of ERROR_TYPES and nothing else parses', () => {
  for (const type of ERROR_TYPES) expect(ErrorType.parse(type)).toBe(type);
  expect(ErrorType.safeParse('disk_space').success).toBe(false);
  expect(ErrorType.safeParse('FATAL').success).toBe(false);
});

test("toErrorLike reads the code from the cause of undici's 'fetch failed' errors", () => {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
    code: 'ECONNREFUSED',
    errno: -111,
  });
  const thrown = new TypeError('fetch failed', { cause });
  const like = toErrorLike(thrown);
  expect(like).toEqual({
    code: 'ECONNREFUSED',
    message: 'fetch failed',
    httpStatus: null,
    name: 'TypeError',
  });
  expect(classifyError(like).type).toBe('NETWORK');
});

test('toErrorLike reads an HTTP status from status, statusCode, httpStatus or the cause', () => {
  expect(toErrorLike(Object.assign(new Error('nope'), { status: 403 })).httpStatus).toBe(403);
  expect(toErrorLike(Object.assign(new Error('nope'), { statusCode: 404 })).httpStatus).toBe(404);
  expect(toErrorLike({ httpStatus: 401 }).httpStatus).toBe(401);
  expect(toErrorLike(new Error('upstream', { cause: { status: 504 } })).httpStatus).toBe(504);
  // The error's own field wins over its cause's.
  expect(
    toErrorLike(Object.assign(new Error('x', { cause: { code: 'ENOSPC' } }), { code: 'EACCES' })).code,
  ).toBe('EACCES');
});

test('toErrorLike skips a status that is not a number and keeps looking', () => {
  const thrown = { status: 'error', statusCode: 503, message: 'Service Unavailable' };
  expect(toErrorLike(thrown).httpStatus).toBe(503);
  expect(classifyError(toErrorLike(thrown)).type).toBe('NETWORK');
  expect(toErrorLike({ status: 'failed' }).httpStatus).toBeNull();
});

test('toErrorLike handles things thrown that are not Errors', () => {
  expect(toErrorLike('No space left on device')).toEqual({ message: 'No space left on device' });
  expect(classifyError(toErrorLike('No space left on device')).type).toBe('DISK_SPACE');
  expect(toErrorLike(undefined)).toEqual({ message: 'undefined' });
  expect(toErrorLike(null)).toEqual({ message: 'null' });
  expect(toErrorLike(42)).toEqual({ message: '42' });
  expect(toErrorLike({ code: 'ENOSPC' })).toEqual({
    code: 'ENOSPC',
    message: null,
    httpStatus: null,
    name: null,
  });
  // Fields of the wrong type are dropped rather than passed on.
  expect(toErrorLike({ code: { nested: true }, message: 7, name: ['x'], status: '500' })).toEqual({
    code: null,
    message: null,
    httpStatus: null,
    name: null,
  });
});

test('a timeout from AbortSignal.timeout classifies as TIMEOUT', () => {
  const thrown = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
  expect(classifyError(toErrorLike(thrown))).toEqual({ type: 'TIMEOUT', retryable: true, severity: 'error' });
});

test('a real Node file-system error classifies by its code', async () => {
  const { readFile } = await import('node:fs/promises');
  const thrown = await readFile('/definitely/not/here/paidflow').catch((error: unknown) => error);
  expect(classifyError(toErrorLike(thrown)).type).toBe('NOT_FOUND');
});
