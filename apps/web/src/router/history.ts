import { useMemo, useSyncExternalStore } from 'react';

// A router of a few dozen lines on the History API: the app has six screens and no nested
// layouts, so a library would add weight and nothing we use (docs/decisions/030).

type Listener = () => void;
const listeners = new Set<Listener>();

function emit() {
  for (const listener of [...listeners]) listener();
}

if (typeof window !== 'undefined') window.addEventListener('popstate', emit);

function subscribe(listener: Listener) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

// The snapshot is the URL string itself: stable between changes, so React bails out cheaply.
const readHref = () => window.location.pathname + window.location.search;

export interface NavigateOptions {
  /** Replace the current history entry (typing in a search box) instead of adding one. */
  replace?: boolean;
  /** Kept with the entry (history.state), e.g. the cursors behind a page. */
  state?: unknown;
}

/** Goes to a path inside the app; Back returns to where we were. */
export function navigate(to: string, options: NavigateOptions = {}): void {
  const current = readHref();
  if (to === current && !options.replace && options.state === undefined) return;
  if (options.replace) window.history.replaceState(options.state ?? null, '', to);
  else window.history.pushState(options.state ?? null, '', to);
  emit();
}

export interface Location {
  pathname: string;
  search: URLSearchParams;
  /** The history entry's state (what navigate was given), or null. */
  state: unknown;
}

/** The current location; the component re-renders when it changes. */
export function useLocation(): Location {
  const href = useSyncExternalStore(subscribe, readHref, () => '/');
  return useMemo(() => {
    const url = new URL(href, 'http://app.local');
    return { pathname: url.pathname, search: url.searchParams, state: window.history.state as unknown };
  }, [href]);
}

/** Builds `path?query` from params, leaving out empty values so that URLs stay short. */
export function buildHref(
  pathname: string,
  params: Record<string, string | number | null | undefined>,
): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === '') continue;
    search.set(key, String(value));
  }
  const query = search.toString();
  return query ? `${pathname}?${query}` : pathname;
}

/** The cursors of the pages before this one, kept with the history entry by a pager (`state.cursors`). */
export function cursorStack(state: unknown): string[] {
  const cursors = (state as { cursors?: unknown } | null)?.cursors;
  return Array.isArray(cursors) ? cursors.filter((value): value is string => typeof value === 'string') : [];
}
