import { expect, test } from 'vitest';
import {
  decodeIdCursor,
  decodeTimeIdCursor,
  encodeIdCursor,
  encodeTimeIdCursor,
  InvalidCursorError,
} from './cursor.ts';

test('a time and id cursor round-trips to the same position', () => {
  const position = { createdAt: new Date('2026-03-04T05:06:07.089Z'), id: 4_294_967_295 };
  const cursor = encodeTimeIdCursor(position);
  expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  expect(decodeTimeIdCursor(cursor)).toEqual(position);
});

test('an id cursor round-trips', () => {
  expect(decodeIdCursor(encodeIdCursor(123_456_789_012))).toBe(123_456_789_012);
});

test.each([
  ['not base64url', 'abc$%'],
  ['empty-looking garbage', '____'],
  ['valid base64url of other text', Buffer.from('hello').toString('base64url')],
  ['an id cursor given to a time list', encodeIdCursor(5)],
  ['a zero id', Buffer.from('t:1000:0').toString('base64url')],
  ['an id beyond unsigned int', Buffer.from('t:1000:99999999999').toString('base64url')],
  ['a negative time', Buffer.from('t:-5:1').toString('base64url')],
  ['too long', 'A'.repeat(201)],
])('a malformed time cursor (%s) is an InvalidCursorError', (_label, cursor) => {
  expect(() => decodeTimeIdCursor(cursor)).toThrow(InvalidCursorError);
});

test('a malformed id cursor is an InvalidCursorError with the INVALID_INPUT code', () => {
  const attempt = () => decodeIdCursor(encodeTimeIdCursor({ createdAt: new Date(0), id: 1 }));
  expect(attempt).toThrow(InvalidCursorError);
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as InvalidCursorError).name).toBe('InvalidCursorError');
    expect((error as InvalidCursorError).code).toBe('INVALID_INPUT');
  }
});
