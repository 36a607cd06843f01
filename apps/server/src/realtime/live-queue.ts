/** Past this many pending events, coalescing looks keys up in an index instead of scanning. */
const INDEX_FROM = 32;

/**
 * One subscription's pending events: bounded, in arrival order, with superseded progress
 * coalesced. An event with a coalesce key replaces the pending one with the same key (and moves
 * to the back: the latest wins); an event without one (a status change, a completion) is never
 * dropped. When more than `limit` events are pending the queue reports an overflow once: the
 * subscriber is too slow, and the caller ends its connection so that it resyncs from a snapshot.
 *
 * Built for the common case of a subscriber that keeps up (0 or 1 pending event): the slots are
 * an array reused in place, so pushing and shifting allocate nothing, and a key index exists only
 * while a backlog of more than INDEX_FROM events does. (A Map per subscription, set and deleted
 * for every event, reallocated its table every few events: garbage that outlived the young
 * generation under the fan-out benchmark.)
 */
export class LiveQueue<T> {
  /** Slots [#head, #tail): an event, or undefined where one was coalesced away or removed. */
  #items: Array<T | undefined> = [];
  #keys: Array<string | null> = [];
  #head = 0;
  #tail = 0;
  #size = 0;
  /** Coalesce key -> slot, only while the backlog is long. */
  #index: Map<string, number> | null = null;
  #waiter: (() => void) | null = null;
  #overflowed = false;
  /** Progress events replaced by a newer one before they were sent. */
  coalesced = 0;

  constructor(
    readonly limit: number,
    private readonly onOverflow: () => void = () => {},
  ) {}

  get size(): number {
    return this.#size;
  }

  /** Slots in use, pending events and vacated ones not yet reclaimed (bounded by ~2x size). */
  get slots(): number {
    return this.#tail - this.#head;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  /** True while a wait() is pending and no event or wake() has ended it yet. */
  get waiting(): boolean {
    return this.#waiter !== null;
  }

  /** Adds an event; returns false when the queue is (now) over its limit. */
  push(item: T, coalesceKey: string | null): boolean {
    if (coalesceKey !== null) {
      const slot = this.#find(coalesceKey);
      if (slot !== -1) {
        this.#vacate(slot);
        this.coalesced++;
      }
    }
    // Vacated slots (sent, coalesced, removed) are reclaimed once they outnumber the pending
    // events: a subscriber that never quite catches up must not grow the arrays for ever.
    if (this.#tail - this.#head > 2 * this.#size + INDEX_FROM) this.#compact();
    const slot = this.#tail++;
    this.#items[slot] = item;
    this.#keys[slot] = coalesceKey;
    this.#size++;
    if (coalesceKey !== null) this.#index?.set(coalesceKey, slot);
    if (this.#index === null && this.#size > INDEX_FROM) this.#buildIndex();
    this.wake();
    if (this.#size > this.limit) {
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
    while (this.#head < this.#tail) {
      const slot = this.#head++;
      const item = this.#items[slot];
      const key = this.#keys[slot];
      if (item === undefined) continue;
      this.#items[slot] = undefined;
      this.#keys[slot] = null;
      this.#size--;
      if (key != null) this.#index?.delete(key);
      if (this.#size === 0) this.#rewind();
      return item;
    }
    this.#rewind();
    return undefined;
  }

  /** Drops the pending events the predicate matches (stale ones after a snapshot). */
  removeWhere(predicate: (item: T) => boolean): number {
    let removed = 0;
    for (let slot = this.#head; slot < this.#tail; slot++) {
      const item = this.#items[slot];
      if (item !== undefined && predicate(item)) {
        this.#vacate(slot);
        removed++;
      }
    }
    if (this.#size === 0) this.#rewind();
    return removed;
  }

  clear(): void {
    for (let slot = this.#head; slot < this.#tail; slot++) {
      this.#items[slot] = undefined;
      this.#keys[slot] = null;
    }
    this.#size = 0;
    this.#rewind();
  }

  /**
   * Resolves when an event arrives or wake() is called (the caller wakes it on abort, with one
   * listener for the stream's life rather than one per wait).
   */
  wait(): Promise<void> {
    if (this.#size > 0) return Promise.resolve();
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

  #find(key: string): number {
    if (this.#index !== null) return this.#index.get(key) ?? -1;
    for (let slot = this.#head; slot < this.#tail; slot++) {
      if (this.#keys[slot] === key && this.#items[slot] !== undefined) return slot;
    }
    return -1;
  }

  #vacate(slot: number): void {
    const key = this.#keys[slot];
    if (key != null) this.#index?.delete(key);
    this.#items[slot] = undefined;
    this.#keys[slot] = null;
    this.#size--;
  }

  /** Moves the pending events to the front of fresh arrays, in order. */
  #compact(): void {
    const items: Array<T | undefined> = [];
    const keys: Array<string | null> = [];
    for (let slot = this.#head; slot < this.#tail; slot++) {
      const item = this.#items[slot];
      if (item === undefined) continue;
      items.push(item);
      keys.push(this.#keys[slot] ?? null);
    }
    this.#items = items;
    this.#keys = keys;
    this.#head = 0;
    this.#tail = items.length;
    if (this.#index !== null) this.#buildIndex();
  }

  #buildIndex(): void {
    const index = new Map<string, number>();
    for (let slot = this.#head; slot < this.#tail; slot++) {
      const key = this.#keys[slot];
      if (key != null && this.#items[slot] !== undefined) index.set(key, slot);
    }
    this.#index = index;
  }

  /** Nothing pending: reuse the slots from the start, and drop the index and any long backlog's arrays. */
  #rewind(): void {
    if (this.#tail > INDEX_FROM * 4) {
      this.#items = [];
      this.#keys = [];
    }
    this.#head = 0;
    this.#tail = 0;
    this.#index = null;
  }
}
