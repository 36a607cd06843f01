import { expect, test } from 'vitest';
import { nowUs, Recorder } from './recorder.ts';

// The steady p99 (decision 068) leaves out what was sent in the first seconds of a rate, counted
// from the first message this recorder saw; the p99 of the whole run still counts everything.
test('the steady samples are those sent at least the warm-up after the first message', () => {
  const epochMs = Date.now() - 60_000;
  const recorder = new Recorder(1, epochMs);
  recorder.warmupUs = 5e6;
  const now = nowUs(epochMs);
  // Sent 10 s, 6 s, 5 s and 1 s ago (the first seen is the oldest): the last two are in the warm-up.
  for (const agoUs of [10e6, 6e6, 5.5e6, 1e6]) {
    recorder.progress(0, { taskId: 1, bytesDone: now - agoUs, bytesTotal: 1 });
  }
  expect(recorder.progressLatencyUs.sorted().length).toBe(4);
  const steady = Array.from(recorder.steadyLatencyUs.sorted());
  expect(steady).toHaveLength(1);
  expect(steady[0]).toBeGreaterThanOrEqual(1e6);
  expect(steady[0]).toBeLessThan(2e6);
});

test('reset starts the warm-up again from the next rate first message', () => {
  const epochMs = Date.now() - 60_000;
  const recorder = new Recorder(1, epochMs);
  recorder.warmupUs = 5e6;
  const now = nowUs(epochMs);
  recorder.progress(0, { taskId: 1, bytesDone: now - 30e6, bytesTotal: 1 });
  recorder.reset();
  recorder.progress(0, { taskId: 1, bytesDone: now - 2e6, bytesTotal: 2 });
  recorder.progress(0, { taskId: 1, bytesDone: now - 1e6, bytesTotal: 3 });
  // Without the reset, both would be 28 s past the first message and count as steady.
  expect(recorder.steadyLatencyUs.sorted().length).toBe(0);
});

test('no warm-up set: nothing counts as steady', () => {
  const epochMs = Date.now() - 60_000;
  const recorder = new Recorder(1, epochMs);
  const now = nowUs(epochMs);
  recorder.progress(0, { taskId: 1, bytesDone: now - 50e6, bytesTotal: 1 });
  recorder.progress(0, { taskId: 1, bytesDone: now, bytesTotal: 2 });
  expect(recorder.steadyLatencyUs.sorted().length).toBe(0);
});
