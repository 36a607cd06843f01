import { expect, test, vi } from 'vitest';
import { manualFrames } from './frame-scheduler.ts';
import { createFrameStore } from './frame-store.ts';

interface Tick {
  percent: number;
  timestamp: number;
}

function progressStore() {
  const frames = manualFrames();
  const store = createFrameStore<number, Tick>({
    scheduler: frames,
    // Newer wins; a late tick is ignored.
    reduce: (current, next) => (current && current.timestamp > next.timestamp ? current : next),
  });
  return { frames, store };
}

test('writes wait for the next frame, then show at once', () => {
  const { frames, store } = progressStore();
  store.write(1, { percent: 10, timestamp: 1 });
  expect(store.get(1)).toBeUndefined();
  expect(frames.pending).toBe(1);
  frames.runFrame();
  expect(store.get(1)).toEqual({ percent: 10, timestamp: 1 });
});

test('a hundred ticks in one frame notify each listener once, with the latest value', () => {
  const { frames, store } = progressStore();
  const seen: number[] = [];
  store.subscribe(7, () => seen.push(store.get(7)?.percent ?? -1));
  for (let i = 1; i <= 100; i++) store.write(7, { percent: i, timestamp: i });
  expect(frames.pending).toBe(1);
  frames.runFrame();
  expect(seen).toEqual([100]);
  expect(store.frames).toBe(1);
});

test('only the keys that changed notify their listeners', () => {
  const { frames, store } = progressStore();
  const one = vi.fn();
  const two = vi.fn();
  store.subscribe(1, one);
  store.subscribe(2, two);
  store.write(1, { percent: 5, timestamp: 5 });
  frames.runFrame();
  expect(one).toHaveBeenCalledTimes(1);
  expect(two).not.toHaveBeenCalled();
});

test('a late tick changes nothing and costs no frame', () => {
  const { frames, store } = progressStore();
  store.write(1, { percent: 50, timestamp: 10 });
  frames.runFrame();
  const listener = vi.fn();
  store.subscribe(1, listener);
  store.write(1, { percent: 20, timestamp: 5 });
  expect(frames.pending).toBe(0);
  frames.runFrame();
  expect(listener).not.toHaveBeenCalled();
  expect(store.get(1)?.percent).toBe(50);
});

test('replace sets a value outright, even an older one (a snapshot)', () => {
  const { frames, store } = progressStore();
  store.write(1, { percent: 50, timestamp: 10 });
  store.replace(1, { percent: 0, timestamp: 1 });
  frames.runFrame();
  expect(store.get(1)).toEqual({ percent: 0, timestamp: 1 });
});

test('unsubscribed listeners hear nothing more', () => {
  const { frames, store } = progressStore();
  const listener = vi.fn();
  const stop = store.subscribe(1, listener);
  stop();
  store.write(1, { percent: 1, timestamp: 1 });
  frames.runFrame();
  expect(listener).not.toHaveBeenCalled();
});

test('rewrite forgets or keeps values at once and says which are watched', () => {
  const { frames, store } = progressStore();
  store.write(1, { percent: 1, timestamp: 1 });
  store.write(2, { percent: 2, timestamp: 2 });
  frames.runFrame();
  const watcher = vi.fn();
  store.subscribe(2, watcher);
  const watched: Array<[number, boolean]> = [];
  store.rewrite((key, value, isWatched) => {
    watched.push([key, isWatched]);
    return isWatched ? value : undefined;
  });
  expect(watched).toEqual([
    [1, false],
    [2, true],
  ]);
  expect(store.get(1)).toBeUndefined();
  expect(store.get(2)?.percent).toBe(2);
  expect(store.size).toBe(1);
  expect(watcher).not.toHaveBeenCalled();
});

test('clear forgets everything and tells the listeners', () => {
  const { frames, store } = progressStore();
  store.write(1, { percent: 1, timestamp: 1 });
  frames.runFrame();
  const listener = vi.fn();
  store.subscribe(1, listener);
  store.write(1, { percent: 2, timestamp: 2 });
  store.clear();
  expect(listener).toHaveBeenCalledTimes(1);
  expect(store.get(1)).toBeUndefined();
  frames.runFrame();
  expect(store.get(1)).toBeUndefined();
});
