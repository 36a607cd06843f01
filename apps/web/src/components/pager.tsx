import { cursorStack, navigate, useLocation } from '../router/history.ts';
import { Notice } from './feedback.tsx';

/**
 * Keyset paging through the URL: the page's cursor is `?cursor=`, the cursors of the pages before
 * it ride in the history entry's state (so Back and Previous agree). `hrefFor(cursor)` is the
 * list's URL with its filters and that cursor (undefined: the first page).
 */
export function useKeysetPager(current: string | undefined, hrefFor: (cursor?: string) => string) {
  const { state } = useLocation();
  const stack = cursorStack(state);
  return {
    onFirst: current ? () => navigate(hrefFor()) : undefined,
    onPrevious:
      current && stack.length > 0
        ? () => navigate(hrefFor(stack.at(-1) || undefined), { state: { cursors: stack.slice(0, -1) } })
        : undefined,
    next: (nextCursor: string) =>
      navigate(hrefFor(nextCursor), { state: { cursors: [...stack, current ?? ''] } }),
  };
}

export interface PagerProps {
  /** Shown on any page but the first. */
  onFirst?: (() => void) | undefined;
  /** Shown when there is a page before this one in the history. */
  onPrevious?: (() => void) | undefined;
  /** The next page's cursor; null on the last page. */
  nextCursor: string | null;
  onNext: (cursor: string) => void;
  /** The page shown is a placeholder while the next one loads. */
  busy?: boolean;
}

/** First / Previous / Next of a keyset-paged list. */
export function Pager({ onFirst, onPrevious, nextCursor, onNext, busy = false }: PagerProps) {
  return (
    <nav className="pager" aria-label="Pages">
      {onFirst ? (
        <button type="button" className="button" onClick={onFirst}>
          First page
        </button>
      ) : null}
      {onPrevious ? (
        <button type="button" className="button" onClick={onPrevious}>
          Previous
        </button>
      ) : null}
      <button
        type="button"
        className="button"
        disabled={!nextCursor || busy}
        onClick={() => nextCursor && onNext(nextCursor)}
      >
        Next
      </button>
    </nav>
  );
}

interface PagedList {
  data?: { nextCursor: string | null } | undefined;
  /** The page shown is the previous one while the next loads. */
  isPlaceholderData: boolean;
}

/** The foot of a keyset-paged list: a notice while the next page loads, then the pager. */
export function ListPager({ pager, list }: { pager: ReturnType<typeof useKeysetPager>; list: PagedList }) {
  return (
    <>
      {list.isPlaceholderData ? <Notice tone="info">Loading the page…</Notice> : null}
      <Pager
        onFirst={pager.onFirst}
        onPrevious={pager.onPrevious}
        nextCursor={list.data?.nextCursor ?? null}
        onNext={pager.next}
        busy={list.isPlaceholderData}
      />
    </>
  );
}
