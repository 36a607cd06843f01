/** When to run deferred work: once per animation frame in the browser, by hand in tests. */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

/**
 * requestAnimationFrame, falling back to a 16 ms timer where there is none. A hidden tab gets no
 * frames: the work waits, coalesced, and is applied at once when the tab shows again.
 */
export const animationFrames: FrameScheduler = {
  request(callback) {
    if (typeof requestAnimationFrame === 'function') return requestAnimationFrame(() => callback());
    return setTimeout(callback, 16) as unknown as number;
  },
  cancel(handle) {
    if (typeof cancelAnimationFrame === 'function') cancelAnimationFrame(handle);
    else clearTimeout(handle);
  },
};

/** A scheduler that runs only when told: tests step frames one at a time. */
export function manualFrames(): FrameScheduler & { runFrame(): void; readonly pending: number } {
  let next = 1;
  const queued = new Map<number, () => void>();
  return {
    request(callback) {
      const handle = next++;
      queued.set(handle, callback);
      return handle;
    },
    cancel(handle) {
      queued.delete(handle);
    },
    runFrame() {
      const callbacks = [...queued.values()];
      queued.clear();
      for (const callback of callbacks) callback();
    },
    get pending() {
      return queued.size;
    },
  };
}
