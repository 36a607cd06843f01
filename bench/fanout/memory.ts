// A peer's memory before and after its clients connect, per connection. Read the same way for
// every peer: RSS from /proc, the heap through the peer's own figure, and what V8 reserved for each
// generation through its inspector (decisions 062, 065, 068).
import { heapSpaceSizes } from './inspector.ts';
import type { RunningPeer } from './peers.ts';
import { rssOf } from './proc.ts';

export interface MemoryReading {
  rss: number | null;
  heapUsed: number | null;
  /** V8's heap spaces, each as reserved (bytes). */
  spaces: Record<string, number>;
  /** The heap in use after a full GC: what the process holds. */
  live: number;
  /** The RSS after that GC. */
  rssCollected: number | null;
}

/**
 * The peer's memory as it stands, then after a full GC (asked for through its inspector). With
 * `snapshotFile`, a heap snapshot of the collected heap is written there.
 */
export async function readMemory(peer: RunningPeer, snapshotFile?: string): Promise<MemoryReading> {
  const rss = rssOf(peer.pid);
  const heapUsed = await peer.heapUsed();
  const spaces = await heapSpaceSizes(peer.inspectorPort);
  const live = await peer.liveHeap(snapshotFile);
  return { rss, heapUsed, spaces, live, rssCollected: rssOf(peer.pid) };
}

/** Bytes V8 holds for the young generation (its semi-spaces and young large objects). */
const youngGen = (spaces: Record<string, number>) =>
  (spaces.new_space ?? 0) + (spaces.new_large_object_space ?? 0);
const oldGen = (spaces: Record<string, number>) => (spaces.old_space ?? 0) + (spaces.large_object_space ?? 0);

/**
 * What each of `clients` connections added between the idle reading (taken on a collected heap)
 * and the connected one, in KB: RSS and heap as they stand (the set-up's garbage included), the
 * live heap, the RSS after a full GC, and the young and old generations V8 grew to.
 */
export function memoryPerConnection(idle: MemoryReading, connected: MemoryReading, clients: number) {
  const kb = (before: number | null, after: number | null) =>
    before !== null && after !== null ? Math.round((after - before) / clients / 102.4) / 10 : null;
  return {
    rssIdleMb: idle.rss !== null ? Math.round(idle.rss / 1048576) : null,
    rssPerConnectionKb: kb(idle.rss, connected.rss),
    heapPerConnectionKb: kb(idle.heapUsed, connected.heapUsed),
    liveHeapPerConnectionKb: kb(idle.live, connected.live),
    rssAfterGcPerConnectionKb: kb(idle.rss, connected.rssCollected),
    youngGenPerConnectionKb: kb(youngGen(idle.spaces), youngGen(connected.spaces)),
    oldGenPerConnectionKb: kb(oldGen(idle.spaces), oldGen(connected.spaces)),
  };
}
