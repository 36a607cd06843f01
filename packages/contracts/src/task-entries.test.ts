import { expect, test } from 'vitest';
import { redisNamespace } from './namespace.ts';
import { entriesAfterStatus, entriesAfterTick, taskEntryCommands } from './task-entries.ts';

const namespace = redisNamespace('p');
const rate = { bytesDone: 5, bytesTotal: 10, speed: 2.4 };

test('a tick sets its percent, and its rate only while it downloads (no phase is the download)', () => {
  // Rounded as the hash keeps it (formatTaskRate).
  const kept = { bytesDone: 5, bytesTotal: 10, speed: 2 };
  expect(entriesAfterTick({ ...rate, percent: 40, phase: 'download' })).toEqual({ percent: 40, rate: kept });
  expect(entriesAfterTick({ ...rate, percent: 40 })).toEqual({ percent: 40, rate: kept });
  expect(entriesAfterTick({ ...rate, percent: 90, phase: 'upload' })).toEqual({ percent: 90 });
});

test('a status change: ended counts whole without a rate, back in the queue starts over, running keeps', () => {
  expect(entriesAfterStatus('cancelled')).toEqual({ percent: 100, rate: null });
  expect(entriesAfterStatus('queued')).toEqual({ percent: null, rate: null });
  expect(entriesAfterStatus('pending')).toEqual({ percent: null, rate: null });
  expect(entriesAfterStatus('downloading')).toEqual({});
});

test('the commands write, remove or keep each entry, the written hashes expiring with the latest values', () => {
  expect(taskEntryCommands(namespace, 3, 7, { percent: 40, rate })).toEqual([
    ['hset', 'p:progress:{o:3}:tasks', '7', '40'],
    ['expire', 'p:progress:{o:3}:tasks', 3600],
    ['hset', 'p:progress:{o:3}:rates', '7', '5:10:2'],
    ['expire', 'p:progress:{o:3}:rates', 3600],
  ]);
  expect(taskEntryCommands(namespace, 3, 7, { percent: null, rate: null })).toEqual([
    ['hdel', 'p:progress:{o:3}:tasks', '7'],
    ['hdel', 'p:progress:{o:3}:rates', '7'],
  ]);
  expect(taskEntryCommands(namespace, 3, 7, {})).toEqual([]);
});
