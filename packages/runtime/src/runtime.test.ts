import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect, test } from 'vitest';
import { REDACTED_PATHS } from './logger.ts';
import { runAll } from './shutdown.ts';
import { withTimeout } from './timeout.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, logger: pino({ level: 'info', redact: REDACTED_PATHS }, stream) };
}

test('secrets never reach a log line, in any process', () => {
  const { lines, logger } = capture();
  logger.info(
    {
      headers: { authorization: 'Bearer s3cr3t', Authorization: 'Bearer S3CR3T', cookie: 'sid=1' },
      config: { token: 'tkn', secret: 'sss', password: 'pw' },
      req: { headers: { x: 'y' } },
    },
    'hello',
  );
  const line = lines.join('');
  for (const secret of ['s3cr3t', 'S3CR3T', 'sid=1', 'tkn', 'sss', '"pw"', '"y"'])
    expect(line).not.toContain(secret);
  expect(line).toContain('[Redacted]');
});

test('withTimeout rejects with what timed out, and passes a result that comes in time', async () => {
  await expect(withTimeout(new Promise(() => {}), 20, 'the queue')).rejects.toThrow(
    'the queue timed out after 20 ms',
  );
  expect(await withTimeout(Promise.resolve(7), 1_000)).toBe(7);
});

test('runAll runs every step even when one throws or hangs', async () => {
  const { lines, logger } = capture();
  const ran: string[] = [];
  await runAll(
    logger,
    [
      ['first', async () => ran.push('first')],
      ['broken', async () => Promise.reject(new Error('boom'))],
      ['stuck', () => new Promise(() => {})],
      ['last', async () => ran.push('last')],
    ],
    50,
  );
  expect(ran).toEqual(['first', 'last']);
  const failed = lines
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'shutdown step failed');
  expect(failed.map((entry) => entry.step)).toEqual(['broken', 'stuck']);
});
