/**
 * One subscription's pending events: bounded, in arrival order, with superseded progress
 * coalesced. An event with a coalesce key replaces the pending one with the same key (and moves
 * to the back: the latest wins); an event without one (a status change, a completion) is never
 * dropped. When more than `limit` events are pending the queue reports an overflow once: the
 * subscriber is too slow, and the caller ends its connection so that it resyncs from a snapshot.
 */
export class LiveQueue<T> {
  // A Map iterates in insertion order, and delete + set moves a key to the back: an O(1) queue
  // with replace-by-key.
  readonly #items = new Map<string, T>();
  #seq = 0;
  #waiter: (() => void) | null = null;
  #overflowed = false;
  /** Progress events replaced by a newer one before they were sent. */
  coalesced = 0;

  constructor(
    readonly limit: number,
    private readonly onOverflow: () => void = () => {},
  ) {}

  get size(): number {
    return this.#items.size;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** Adds an event; returns false when the queue is (now) over its limit. */
  push(item: T, coalesceKey: string | null): boolean {
    if (coalesceKey !== null) {
      const key = `k:${coalesceKey}`;
      if (this.#items.delete(key)) this.coalesced++;
      this.#items.set(key, item);
    } else {
      this.#items.set(`s:${++this.#seq}`, item);
    }
    this.wake();
    if (this.#items.size > this.limit) {
      if (!this.#overflowed) {
        this.#overflowed = true;
        this.onOverflow();
      }
      return false;
    }
    return true;
  }

  /** The oldest pending event, removed; undefined when none. */
  shift(): T | undefined {
    const first = this.#items.entries().next();
    if (first.done) return undefined;
    this.#items.delete(first.value[0]);
    return first.value[1];
  }

  /** Drops the pending events the predicate matches (stale ones after a snapshot). */
  removeWhere(predicate: (item: T) => boolean): number {
    let removed = 0;
    for (const [key, item] of this.#items) {
      if (predicate(item)) {
        this.#items.delete(key);
        removed++;
      }
    }
    return removed;
  }

  clear(): void {
    this.#items.clear();
  }

  /**
   * Resolves when an event arrives or wake() is called (the caller wakes it on abort, with one
   * listener for the stream's life rather than one per wait).
   */
  wait(): Promise<void> {
    if (this.#items.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = () => {
        this.#waiter = null;
        resolve();
      };
    });
  }

  /** Lets a pending wait() return (new event, resync, overflow). */
  wake(): void {
    this.#waiter?.();
  }
}
