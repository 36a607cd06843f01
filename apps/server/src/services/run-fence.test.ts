import { expect, test } from 'vitest';
import { assertCurrentRun, RunSuperseded, staleJob } from './run-fence.ts';

const task = { id: 7, queue_generation: 2, run_token: 5 };

test("a job of the task's current generation is current", () => {
  expect(staleJob(task, 'task-7-2')).toBeNull();
});

test('a job of an older (or newer) enqueue is stale', () => {
  expect(staleJob(task, 'task-7-1')).toMatch(/superseded by a newer enqueue of task 7 \(generation 2\)/);
  expect(staleJob(task, 'task-7-3')).toMatch(/superseded/);
});

test("another task's job, or a job id of another shape, is never current", () => {
  expect(staleJob(task, 'task-8-2')).toMatch(/not a job of task 7/);
  expect(staleJob(task, 'garbage-1')).toMatch(/not a job of task 7/);
  expect(staleJob(task, 'task-7-2-1')).toMatch(/not a job of task 7/);
});

test("a report with the current job and the current run's token passes", () => {
  expect(() => assertCurrentRun(task, { jobId: 'task-7-2', runToken: 5 })).not.toThrow();
});

test("a report with an older run's token is refused, even from the current job (a stalled run re-run)", () => {
  const refusal = (() => {
    try {
      assertCurrentRun(task, { jobId: 'task-7-2', runToken: 4 });
    } catch (error) {
      return error;
    }
  })();
  expect(refusal).toBeInstanceOf(RunSuperseded);
  expect(refusal).toMatchObject({ code: 'CONFLICT', taskId: 7, jobId: 'task-7-2' });
  expect((refusal as Error).message).toMatch(/run token 4 .* current token 5/);
});

test('a report from an older job is refused even when its token happens to match', () => {
  expect(() => assertCurrentRun(task, { jobId: 'task-7-1', runToken: 5 })).toThrow(RunSuperseded);
});

test('a token from the future is refused too: only the current token is current', () => {
  expect(() => assertCurrentRun(task, { jobId: 'task-7-2', runToken: 6 })).toThrow(RunSuperseded);
});
