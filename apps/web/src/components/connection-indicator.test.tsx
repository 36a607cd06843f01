// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { ConnectionIndicator } from './connection-indicator.tsx';

afterEach(cleanup);

test('the state is a polite live region, so changes are announced', () => {
  render(<ConnectionIndicator status="live" />);
  const region = screen.getByRole('status');
  expect(region.getAttribute('aria-live')).toBe('polite');
  expect(region.textContent).toContain('Live');
});

test('each state has its own words', () => {
  const { rerender } = render(<ConnectionIndicator status="reconnecting" />);
  expect(screen.getByRole('status').textContent).toContain('Reconnecting');
  rerender(<ConnectionIndicator status="offline" />);
  expect(screen.getByRole('status').textContent).toContain('Offline');
  expect(screen.getByRole('status').className).toContain('connection--offline');
  rerender(<ConnectionIndicator status="connecting" />);
  expect(screen.getByRole('status').textContent).toContain('Connecting');
});
