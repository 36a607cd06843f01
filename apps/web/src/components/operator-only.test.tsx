// @vitest-environment jsdom
import { cleanup, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import type { TaskView } from '../live/task-live.ts';
import { renderLive } from '../test-utils.tsx';
import { OperatorOnly } from './operator-only.tsx';
import { TaskCard } from './task-card.tsx';

afterEach(cleanup);

const failedTask: TaskView = {
  id: 7,
  orderId: 1,
  title: 'React course',
  courseUrl: 'http://127.0.0.1:4100/courses/react/manifest.json',
  status: 'failed',
  percent: 40,
  phase: null,
  currentFile: 'lesson-02.bin',
  speed: null,
  etaSeconds: null,
  bytesDone: null,
  bytesTotal: null,
  error: { type: 'NOT_FOUND', message: 'HTTP 404 for lesson-02.bin' },
  lastError: { type: 'NOT_FOUND', message: 'HTTP 404 for lesson-02.bin', attempt: 1 },
  driveLink: null,
  attempts: 1,
};

function card() {
  return (
    <ul>
      <TaskCard
        task={failedTask}
        actions={
          <OperatorOnly>
            <button type="button">Retry</button>
          </OperatorOnly>
        }
      />
    </ul>
  );
}

test('an operator is offered the actions', () => {
  renderLive(card(), { role: 'operator' });
  expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
});

test('a viewer sees the task and its error, but no action button', () => {
  renderLive(card(), { role: 'viewer' });
  expect(screen.queryByRole('button')).toBeNull();
  expect(screen.getByText('NOT_FOUND')).toBeTruthy();
  expect(screen.getByText('HTTP 404 for lesson-02.bin')).toBeTruthy();
  expect(screen.getByRole('progressbar', { name: 'Task React course' }).getAttribute('aria-valuenow')).toBe(
    '40',
  );
});
