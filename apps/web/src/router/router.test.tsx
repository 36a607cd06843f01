// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { buildHref, navigate, useLocation } from './history.ts';
import { Link, NavLink } from './link.tsx';
import { matchRoute } from './routes.ts';

afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, '', '/'));

function Where() {
  const { pathname, search } = useLocation();
  return <output>{`${pathname}?${search.toString()}`}</output>;
}

test('paths map to screens; anything else is not found', () => {
  expect(matchRoute('/')).toEqual({ name: 'overview' });
  expect(matchRoute('/orders/')).toEqual({ name: 'orders' });
  expect(matchRoute('/orders/42')).toEqual({ name: 'order', orderId: 42 });
  expect(matchRoute('/orders/0')).toEqual({ name: 'not-found' });
  expect(matchRoute('/orders/abc')).toEqual({ name: 'not-found' });
  expect(matchRoute('/queue')).toEqual({ name: 'queue' });
  expect(matchRoute('/nope')).toEqual({ name: 'not-found' });
});

test('hrefs leave out empty filters', () => {
  expect(buildHref('/orders', { q: '', status: 'failed', cursor: undefined })).toBe('/orders?status=failed');
  expect(buildHref('/orders', { q: 'DH12 34' })).toBe('/orders?q=DH12+34');
  expect(buildHref('/orders', {})).toBe('/orders');
});

test('a link click navigates inside the app, and Back returns', async () => {
  render(
    <>
      <Link to="/orders?status=failed">Failed orders</Link>
      <Where />
    </>,
  );
  fireEvent.click(screen.getByRole('link', { name: 'Failed orders' }));
  expect(screen.getByRole('status').textContent).toBe('/orders?status=failed');
  await act(async () => {
    window.history.back();
    await new Promise((resolve) => window.addEventListener('popstate', resolve, { once: true }));
  });
  expect(screen.getByRole('status').textContent).toBe('/?');
});

test('a modified click is left to the browser (new tab)', () => {
  render(
    <>
      <Link to="/queue">Queue</Link>
      <Where />
    </>,
  );
  // The app must leave the click alone; this listener (last in line) then stops jsdom's navigation.
  let leftToBrowser = false;
  const stop = (event: MouseEvent) => {
    leftToBrowser = !event.defaultPrevented;
    event.preventDefault();
  };
  window.addEventListener('click', stop);
  fireEvent.click(screen.getByRole('link', { name: 'Queue' }), { ctrlKey: true });
  window.removeEventListener('click', stop);
  expect(leftToBrowser).toBe(true);
  expect(screen.getByRole('status').textContent).toBe('/?');
});

test('the current page is marked for assistive technology', () => {
  act(() => navigate('/orders/5'));
  render(
    <nav>
      <NavLink to="/" exact>
        Overview
      </NavLink>
      <NavLink to="/orders">Orders</NavLink>
    </nav>,
  );
  expect(screen.getByRole('link', { name: 'Orders' }).getAttribute('aria-current')).toBe('page');
  expect(screen.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBeNull();
});

test('replace does not add a history entry', () => {
  const before = window.history.length;
  act(() => navigate('/orders?q=a', { replace: true }));
  expect(window.history.length).toBe(before);
  expect(window.location.search).toBe('?q=a');
});
