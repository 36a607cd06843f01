import { expect, test } from 'vitest';
import { parseRange } from './range.ts';

test('one byte range: closed, open-ended, suffix; the end is clamped to the file', () => {
  expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
  expect(parseRange('bytes=500-', 1000)).toEqual({ start: 500, end: 999 });
  expect(parseRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
  expect(parseRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  expect(parseRange('bytes=900-5000', 1000)).toEqual({ start: 900, end: 999 });
  expect(parseRange(' bytes=999-999 ', 1000)).toEqual({ start: 999, end: 999 });
});

test('past the end is unsatisfiable (416); anything else we do not serve as a range is the whole file', () => {
  expect(parseRange('bytes=1000-', 1000)).toBe('unsatisfiable');
  expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  expect(parseRange('bytes=-0', 1000)).toBe('unsatisfiable');
  for (const header of [
    undefined,
    '',
    'bytes=',
    'bytes=-',
    'bytes=5-1',
    'items=0-5',
    'bytes=0-1,5-9',
    'bytes=a-b',
  ]) {
    expect(parseRange(header, 1000), String(header)).toBeNull();
  }
});
