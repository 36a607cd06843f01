import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { navigate, useLocation } from './history.ts';

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: string;
  replace?: boolean;
  state?: unknown;
}

/**
 * A real <a href>: it opens in a new tab, copies and reads out like any link; a plain click
 * navigates inside the app instead of reloading it.
 */
export function Link({ to, replace, state, onClick, target, ...rest }: LinkProps) {
  function handleClick(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (target && target !== '_self') return;
    event.preventDefault();
    navigate(to, { replace, state });
  }
  return <a {...rest} href={to} target={target} onClick={handleClick} />;
}

/** A navigation link that says when it is the current page (aria-current). */
export function NavLink({ to, exact, ...rest }: LinkProps & { exact?: boolean }) {
  const { pathname } = useLocation();
  const target = to.split('?')[0] ?? to;
  const current = exact ? pathname === target : pathname === target || pathname.startsWith(`${target}/`);
  return <Link {...rest} to={to} aria-current={current ? 'page' : undefined} />;
}
