// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { OrderStatusBadge, SeverityBadge, TaskStatusBadge } from './status-badge.tsx';

afterEach(cleanup);

test('each status says its name and has a tone, so colour is never the only cue', () => {
  render(
    <>
      <TaskStatusBadge status="downloading" />
      <TaskStatusBadge status="failed" />
      <OrderStatusBadge status="completed" />
      <SeverityBadge severity="critical" />
    </>,
  );
  expect(screen.getByText('downloading').closest('.badge')?.getAttribute('data-tone')).toBe('active');
  expect(screen.getByText('failed').closest('.badge')?.getAttribute('data-tone')).toBe('danger');
  expect(screen.getByText('completed').closest('.badge')?.getAttribute('data-tone')).toBe('success');
  expect(screen.getByText('critical').closest('.badge')?.getAttribute('data-tone')).toBe('danger');
});

test('the glyph is hidden from screen readers (the word says it)', () => {
  const { container } = render(<TaskStatusBadge status="completed" />);
  expect(container.querySelector('.badge__glyph')?.getAttribute('aria-hidden')).toBe('true');
  expect(container.textContent).toBe('✓completed');
});
