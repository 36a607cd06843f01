import { useCallback, useState } from 'react';

export interface Selection<T> {
  selected: ReadonlySet<T>;
  /** Adds or removes one item. */
  set(item: T, on: boolean): void;
  /** Selects exactly these items (an empty list clears the selection). */
  replace(items: Iterable<T>): void;
  clear(): void;
}

/** A set of selected items (rows picked for a bulk action), shared by the pages that select. */
export function useSelection<T>(): Selection<T> {
  const [selected, setSelected] = useState<ReadonlySet<T>>(() => new Set());
  const set = useCallback((item: T, on: boolean) => {
    setSelected((previous) => {
      if (previous.has(item) === on) return previous;
      const next = new Set(previous);
      if (on) next.add(item);
      else next.delete(item);
      return next;
    });
  }, []);
  const replace = useCallback((items: Iterable<T>) => setSelected(new Set(items)), []);
  const clear = useCallback(() => setSelected(new Set()), []);
  return { selected, set, replace, clear };
}
