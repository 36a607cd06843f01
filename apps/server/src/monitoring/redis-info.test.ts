import { expect, test } from 'vitest';
import { parseRedisInfo } from './redis-info.ts';

test("Redis INFO's numeric fields are read; titles, blanks and text values are not", () => {
  const info =
    '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nmaxmemory:0\r\n\r\nmaxmemory_policy:noeviction\r\nbroken line\r\nempty:\r\n';
  expect(parseRedisInfo(info)).toEqual(
    new Map([
      ['used_memory', 1048576],
      ['maxmemory', 0],
    ]),
  );
});
