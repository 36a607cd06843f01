// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import { NO_AUDIT_FILTERS } from '../lib/audit-filters.ts';
import { type AuditItem, AuditTimeline } from './audit-timeline.tsx';

afterEach(cleanup);

function event(id: number, overrides: Partial<AuditItem> = {}): AuditItem {
  return {
    id,
    order_id: 1,
    task_id: null,
    event_type: 'payment_received',
    event_category: 'payment',
    severity: 'info',
    message: `event ${id}`,
    details: null,
    previous_status: null,
    new_status: null,
    source: 'webhook:sepay',
    error_type: null,
    created_at: new Date(2026, 0, 14, 10, 30, id),
    task_title: null,
    ...overrides,
  };
}

const events = [
  event(3, {
    event_type: 'task_retry_requested',
    event_category: 'system',
    task_id: 7,
    task_title: 'React course',
    message: 'Retry requested',
    details: { actor: { id: 2, email: 'operator@paidflow.local' }, attempt: 2 },
  }),
  event(2, {
    event_type: 'download_failed',
    event_category: 'download',
    severity: 'error',
    task_id: 7,
    task_title: 'React course',
    message: 'socket hang up',
    error_type: 'NETWORK',
    previous_status: 'downloading',
    new_status: 'failed',
  }),
  event(1, { details: { amount: 300000 } }),
];

const tasks = [{ id: 7, title: 'React course' }];

test('events show newest first with their type, severity, task and error type', () => {
  render(
    <AuditTimeline events={events} filters={NO_AUDIT_FILTERS} onFiltersChange={() => {}} tasks={tasks} />,
  );
  const items = within(screen.getByRole('list', { name: /Audit events/ })).getAllByRole('listitem');
  expect(items.map((item) => item.getAttribute('data-event-type'))).toEqual([
    'task_retry_requested',
    'download_failed',
    'payment_received',
  ]);
  const failure = within(items[1] as HTMLElement);
  expect(failure.getByText('error')).toBeTruthy();
  expect(failure.getByText('NETWORK')).toBeTruthy();
  expect(failure.getByText('downloading → failed')).toBeTruthy();
  expect(failure.getByText(/task #7 · React course/)).toBeTruthy();
});

test('operator actions show who did them', () => {
  render(
    <AuditTimeline events={events} filters={NO_AUDIT_FILTERS} onFiltersChange={() => {}} tasks={tasks} />,
  );
  expect(screen.getByText('by operator@paidflow.local')).toBeTruthy();
  expect(screen.getAllByText(/^by /)).toHaveLength(1);
});

test('JSON details open and close from a button', () => {
  render(
    <AuditTimeline events={events} filters={NO_AUDIT_FILTERS} onFiltersChange={() => {}} tasks={tasks} />,
  );
  const buttons = screen.getAllByRole('button', { name: 'Show details' });
  expect(buttons).toHaveLength(2);
  const last = buttons[1] as HTMLElement;
  expect(last.getAttribute('aria-expanded')).toBe('false');
  fireEvent.click(last);
  expect(last.getAttribute('aria-expanded')).toBe('true');
  const body = document.getElementById(last.getAttribute('aria-controls') ?? '');
  expect(body?.textContent).toBe(JSON.stringify({ amount: 300000 }, null, 2));
  fireEvent.click(screen.getByRole('button', { name: 'Hide details' }));
  expect(screen.queryByText(/"amount"/)).toBeNull();
});

test('filters by severity, category and task report the whole new filter set', () => {
  const onFiltersChange = vi.fn();
  const { rerender } = render(
    <AuditTimeline
      events={events}
      filters={NO_AUDIT_FILTERS}
      onFiltersChange={onFiltersChange}
      tasks={tasks}
    />,
  );
  fireEvent.click(screen.getByRole('checkbox', { name: 'error' }));
  expect(onFiltersChange).toHaveBeenLastCalledWith({ severity: ['error'], category: [], taskId: null });

  const filters = { severity: ['error' as const], category: [], taskId: null };
  rerender(
    <AuditTimeline events={events} filters={filters} onFiltersChange={onFiltersChange} tasks={tasks} />,
  );
  expect((screen.getByRole('checkbox', { name: 'error' }) as HTMLInputElement).checked).toBe(true);
  fireEvent.click(screen.getByRole('checkbox', { name: 'critical' }));
  expect(onFiltersChange).toHaveBeenLastCalledWith({
    severity: ['error', 'critical'],
    category: [],
    taskId: null,
  });
  fireEvent.click(screen.getByRole('checkbox', { name: 'Download' }));
  expect(onFiltersChange).toHaveBeenLastCalledWith({
    severity: ['error'],
    category: ['download'],
    taskId: null,
  });
  fireEvent.change(screen.getByRole('combobox', { name: 'Task' }), { target: { value: '7' } });
  expect(onFiltersChange).toHaveBeenLastCalledWith({ severity: ['error'], category: [], taskId: 7 });
});

test('an empty filtered timeline says so; new events are highlighted', () => {
  const { rerender } = render(
    <AuditTimeline
      events={[]}
      filters={{ severity: ['critical'], category: [], taskId: null }}
      onFiltersChange={() => {}}
      tasks={tasks}
    />,
  );
  expect(screen.getByText('No event matches these filters.')).toBeTruthy();
  rerender(
    <AuditTimeline
      events={events}
      filters={NO_AUDIT_FILTERS}
      onFiltersChange={() => {}}
      tasks={tasks}
      newIds={new Set([3])}
    />,
  );
  const items = screen.getAllByRole('listitem');
  expect(items[0]?.className).toContain('timeline__item--new');
  expect(items[1]?.className).not.toContain('timeline__item--new');
});
