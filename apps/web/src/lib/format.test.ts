import { expect, test } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatDateTime,
  formatEta,
  formatMoney,
  formatPercent,
  formatSpeed,
} from './format.ts';

test('speeds read in binary multiples with one decimal', () => {
  expect(formatSpeed(0)).toBe('0 B/s');
  expect(formatSpeed(512)).toBe('512 B/s');
  expect(formatSpeed(1536)).toBe('1.5 KB/s');
  expect(formatSpeed(4 * 1024 * 1024)).toBe('4.0 MB/s');
  expect(formatSpeed(2.5 * 1024 ** 3)).toBe('2.5 GB/s');
});

test('an unknown speed is a dash, never NaN', () => {
  expect(formatSpeed(null)).toBe('—');
  expect(formatSpeed(undefined)).toBe('—');
  expect(formatSpeed(Number.NaN)).toBe('—');
});

test('sizes use the same units', () => {
  expect(formatBytes(0)).toBe('0 B');
  expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MB');
});

test('ETA goes from seconds to minutes to hours, padded so its width holds', () => {
  expect(formatEta(null)).toBe('—');
  expect(formatEta(0.4)).toBe('<1 s');
  expect(formatEta(45)).toBe('45 s');
  expect(formatEta(59.6)).toBe('1 min 00 s');
  expect(formatEta(185)).toBe('3 min 05 s');
  expect(formatEta(2 * 3600 + 4 * 60 + 30)).toBe('2 h 04 min');
  expect(formatEta(-1)).toBe('—');
  expect(formatEta(Number.POSITIVE_INFINITY)).toBe('—');
});

test('VND amounts print the Vietnamese way, without decimals', () => {
  // Intl puts a no-break space before the symbol.
  expect(formatMoney(300_000).replace(/\s/g, ' ')).toBe('300.000 ₫');
  expect(formatMoney(1_655_000, 'vnd').replace(/\s/g, ' ')).toBe('1.655.000 ₫');
  expect(formatMoney(0).replace(/\s/g, ' ')).toBe('0 ₫');
});

test('other currencies keep their cents', () => {
  expect(formatMoney(12.5, 'USD')).toBe('$12.50');
});

test('a percent says 100 only when the work is done', () => {
  expect(formatPercent(99.7)).toBe('99%');
  expect(formatPercent(100)).toBe('100%');
  expect(formatPercent(140)).toBe('100%');
  expect(formatPercent(-3)).toBe('0%');
  expect(formatPercent(null)).toBe('0%');
});

test('dates print as sortable local time, and relative time is coarse', () => {
  const date = new Date(2026, 0, 14, 10, 30, 5);
  expect(formatDateTime(date)).toBe('2026-01-14 10:30:05');
  expect(formatDateTime(null)).toBe('—');
  expect(formatDateTime('not a date')).toBe('—');
  const now = date.getTime();
  expect(formatAgo(now - 2_000, now)).toBe('just now');
  expect(formatAgo(now - 42_000, now)).toBe('42 s ago');
  expect(formatAgo(new Date(now - 5 * 60_000), now)).toBe('5 min ago');
  expect(formatAgo(now - 3 * 3_600_000, now)).toBe('3 h ago');
});
