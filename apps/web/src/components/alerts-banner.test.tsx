// @vitest-environment jsdom
import type { AlertView, FiringAlerts } from '@paidflow/contracts';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { matchRoute } from '../router/routes.ts';
import { readAlertFilters } from './alert-filters.tsx';
import { AlertsBannerView } from './alerts-banner.tsx';

afterEach(cleanup);

const NOW = Date.parse('2026-06-01T10:00:00Z');

function alert(overrides: Partial<AlertView>): AlertView {
  return {
    id: 1,
    kind: 'worker_down',
    subject: 'worker-1',
    severity: 'critical',
    message: 'Worker worker-1 on host-a is down: no heartbeat for 31 s',
    details: {},
    raisedAt: new Date(NOW - 5 * 60_000),
    lastSeenAt: new Date(NOW),
    lastNotifiedAt: new Date(NOW - 5 * 60_000),
    reminders: 0,
    resolvedAt: null,
    ...overrides,
  };
}

test('nothing is shown while no alert fires', () => {
  const { container } = render(<AlertsBannerView firing={{ total: 0, items: [] }} now={NOW} />);
  expect(container.innerHTML).toBe('');
  const loading = render(<AlertsBannerView firing={undefined} now={NOW} />);
  expect(loading.container.innerHTML).toBe('');
});

test('one firing alert: its severity, message and age, announced, with a link to the firing alerts', () => {
  render(<AlertsBannerView firing={{ total: 1, items: [alert({})] }} now={NOW} />);
  const banner = screen.getByTestId('alerts-banner');
  expect(banner.getAttribute('role')).toBe('alert');
  expect(banner.textContent).toContain('An alert fires');
  expect(banner.textContent).toContain('Worker worker-1 on host-a is down');
  expect(banner.textContent).toContain('raised 5 min ago');
  expect(screen.getByText('critical').closest('.badge')?.getAttribute('data-tone')).toBe('danger');
  expect(screen.getByRole('link', { name: 'See the alerts' }).getAttribute('href')).toBe(
    '/alerts?state=firing',
  );
});

test('several firing alerts: the count, the most severe one, and the kinds of the others', () => {
  const firing: FiringAlerts = {
    total: 3,
    items: [
      alert({}),
      alert({ id: 2, kind: 'queue_backlog', severity: 'warning', message: '900 jobs wait' }),
      alert({ id: 3, kind: 'outbox_stuck', severity: 'error', message: 'outbox' }),
    ],
  };
  render(<AlertsBannerView firing={firing} now={NOW} />);
  const text = screen.getByTestId('alerts-banner').textContent ?? '';
  expect(text).toContain('3 alerts fire');
  expect(text).toContain('and 2 more: queue_backlog, outbox_stuck');
});

test('the alerts page has its path, and its filters read only known states and kinds from the URL', () => {
  expect(matchRoute('/alerts')).toEqual({ name: 'alerts' });
  expect(readAlertFilters(new URLSearchParams('state=firing&kind=mysql_down&cursor=abc'))).toEqual({
    state: 'firing',
    kind: 'mysql_down',
    cursor: 'abc',
  });
  expect(readAlertFilters(new URLSearchParams('state=open&kind=nope'))).toEqual({
    state: undefined,
    kind: undefined,
    cursor: undefined,
  });
});
