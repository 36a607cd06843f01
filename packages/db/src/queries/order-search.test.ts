import { expect, test } from 'vitest';
import { parseOrderSearch, prefixPattern } from './order-search.ts';

test('code-looking searches go to the order code, normalized to DH and digits', () => {
  expect(parseOrderSearch('DH123456')).toEqual({ column: 'order_code', prefix: 'DH123456' });
  expect(parseOrderSearch(' dh12 ')).toEqual({ column: 'order_code', prefix: 'DH12' });
  expect(parseOrderSearch('987')).toEqual({ column: 'order_code', prefix: 'DH987' });
  expect(parseOrderSearch('dh')).toEqual({ column: 'order_code', prefix: 'DH' });
});

test('anything else searches customer emails', () => {
  expect(parseOrderSearch('an.nguyen@gmail.com')).toEqual({
    column: 'user_email',
    prefix: 'an.nguyen@gmail.com',
  });
  expect(parseOrderSearch('dhoang')).toEqual({ column: 'user_email', prefix: 'dhoang' });
});

test('LIKE wildcards in the search are matched literally', () => {
  expect(prefixPattern('a_b%c!d')).toBe('a!_b!%c!!d%');
});
