import { useCallback, useSyncExternalStore } from 'react';
import type { FrameStore } from './frame-store.ts';

/** Reads one key of a frame store; the component re-renders only when that key changes. */
export function useFrameValue<K, V, W>(store: FrameStore<K, V, W>, key: K): V | undefined {
  const subscribe = useCallback((listener: () => void) => store.subscribe(key, listener), [store, key]);
  const read = useCallback(() => store.get(key), [store, key]);
  return useSyncExternalStore(subscribe, read, read);
}
