import { animationFrames, type FrameScheduler } from './frame-scheduler.ts';

/**
 * The live state of many things (tasks, orders), written many times a second and read by many
 * components. Writes are folded into the pending value at once but published on the next
 * animation frame; then each key that changed notifies its own listeners once. A screen with
 * hundreds of live rows so renders at most once per frame, and only the rows that moved.
 */
export interface FrameStore<K, V, W = V> {
  /** Folds a write into the key's value; readers see it on the next frame. */
  write(key: K, write: W): void;
  /** Replaces the key's value outright (a snapshot), also on the next frame. */
  replace(key: K, value: V): void;
  get(key: K): V | undefined;
  /** Listens to one key. Returns the unsubscribe function. */
  subscribe(key: K, listener: () => void): () => void;
  /** Publishes pending writes now (the frame callback, and tests). */
  flush(): void;
  /** Forgets every key at once (sign-out). */
  clear(): void;
  /**
   * Rewrites published values now: `fn` returns the value to keep (the same one for no change)
   * or undefined to forget the key. `watched` says whether any component listens to it.
   */
  rewrite(fn: (key: K, value: V, watched: boolean) => V | undefined): void;
  readonly size: number;
  /** Frames that published at least one change: lets tests count renders. */
  readonly frames: number;
}

export interface FrameStoreOptions<V, W> {
  /** Folds a write into the current value; returning `current` itself means "no change". */
  reduce: (current: V | undefined, write: W) => V;
  scheduler?: FrameScheduler;
}

export function createFrameStore<K, V, W = V>(options: FrameStoreOptions<V, W>): FrameStore<K, V, W> {
  const scheduler = options.scheduler ?? animationFrames;
  const committed = new Map<K, V>();
  let pending = new Map<K, V>();
  const listeners = new Map<K, Set<() => void>>();
  let handle: number | null = null;
  let frames = 0;

  function notify(keys: Iterable<K>) {
    for (const key of keys) {
      const set = listeners.get(key);
      if (!set) continue;
      for (const listener of [...set]) listener();
    }
  }

  function schedule() {
    if (handle !== null) return;
    handle = scheduler.request(() => {
      handle = null;
      flush();
    });
  }

  function flush() {
    if (handle !== null) {
      scheduler.cancel(handle);
      handle = null;
    }
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const changed: K[] = [];
    for (const [key, value] of batch) {
      if (committed.get(key) === value) continue;
      committed.set(key, value);
      changed.push(key);
    }
    if (changed.length === 0) return;
    frames += 1;
    notify(changed);
  }

  return {
    write(key, write) {
      const current = pending.has(key) ? pending.get(key) : committed.get(key);
      const next = options.reduce(current, write);
      if (next === current) return;
      pending.set(key, next);
      schedule();
    },
    replace(key, value) {
      pending.set(key, value);
      schedule();
    },
    get: (key) => committed.get(key),
    subscribe(key, listener) {
      let set = listeners.get(key);
      if (!set) {
        set = new Set();
        listeners.set(key, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(key);
      };
    },
    flush,
    clear() {
      pending.clear();
      const keys = [...committed.keys()];
      committed.clear();
      notify(keys);
    },
    rewrite(fn) {
      flush();
      const changed: K[] = [];
      for (const [key, value] of [...committed]) {
        const next = fn(key, value, (listeners.get(key)?.size ?? 0) > 0);
        if (next === value) continue;
        if (next === undefined) committed.delete(key);
        else committed.set(key, next);
        changed.push(key);
      }
      notify(changed);
    },
    get size() {
      return committed.size;
    },
    get frames() {
      return frames;
    },
  };
}
