// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { SegmentedProgress } from './segmented-progress.tsx';

afterEach(cleanup);

test('draws completed, failed and in-progress segments at their share of the bar', () => {
  const { container } = render(
    <SegmentedProgress label="Order DH123456" total={4} completed={1} failed={1} inProgress={0.5} />,
  );
  const widths = [...container.querySelectorAll<HTMLElement>('.segmented__part')].map(
    (part) => part.style.width,
  );
  expect(widths).toEqual(['25%', '25%', '12.5%']);
  const bar = screen.getByRole('progressbar', { name: 'Order DH123456' });
  expect(bar.getAttribute('aria-valuenow')).toBe('62');
  expect(bar.getAttribute('aria-valuetext')).toBe('62%: 1 completed, 1 failed, 2 not ended, of 4');
  expect(screen.getByText('62%')).toBeTruthy();
});

test('reads 100% when every task has ended, failed ones included', () => {
  render(<SegmentedProgress label="Order" total={3} completed={2} failed={1} inProgress={0} />);
  expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
});
