import { InvalidCursorError } from '@paidflow/db';
import { expect, test } from 'vitest';
import { AppError, toAppError } from './errors.ts';

test('an AppError is its own meaning', () => {
  const error = new AppError('CONFLICT', 'taken');
  expect(toAppError(error)).toBe(error);
});

test('a malformed cursor is bad input', () => {
  expect(toAppError(new InvalidCursorError())).toMatchObject({ code: 'INVALID_INPUT' });
});

test('MySQL or Redis out of reach, at any depth of causes, is UNAVAILABLE', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });
  expect(toAppError(refused)).toMatchObject({ code: 'UNAVAILABLE' });
  expect(toAppError(new Error('query failed', { cause: refused }))).toMatchObject({ code: 'UNAVAILABLE' });
  expect(toAppError(new Error('Connection is closed.'))).toMatchObject({ code: 'UNAVAILABLE' });
  // fetch's TypeError is looked through to its cause.
  expect(toAppError(new TypeError('fetch failed', { cause: refused }))).toMatchObject({
    code: 'UNAVAILABLE',
  });
});

test('a bug stays a bug, even when its message says "connection"', () => {
  expect(toAppError(new TypeError("Cannot read properties of undefined (reading 'connection')"))).toBeNull();
  expect(toAppError(new Error('boom'))).toBeNull();
  expect(toAppError('a string')).toBeNull();
});
