// The publisher stamps every tick in its current file's name (`…/lesson-<task>-<seq>.mp4`); the
// page records when each such name first appears in the DOM; these functions pair the two.
import { summarize } from '../lib/stats.ts';

/** A tick as published: its task, its per-task sequence number and Date.now() when published. */
export interface PublishedTick {
  taskId: number;
  seq: number;
  publishedAt: number;
}

const STAMP = /lesson-(\d+)-(\d+)\.mp4/;

/** The current file name a tick carries, unique per tick (and realistic enough to render). */
export function tickFileName(taskId: number, seq: number): string {
  const module = String((seq % 12) + 1).padStart(2, '0');
  return `Module ${module} - Building it for real/lesson-${taskId}-${seq}.mp4`;
}

/** The key of a tick, from its parts or from a text that shows its file name; null if none. */
export function tickKey(taskId: number, seq: number): string {
  return `${taskId}-${seq}`;
}

export function tickKeyOf(text: string): string | null {
  const match = STAMP.exec(text);
  return match ? tickKey(Number(match[1]), Number(match[2])) : null;
}

export interface TickMatch {
  /** Ticks published inside the window, for the tasks the page shows. */
  sampled: number;
  /** Of those, the ticks whose file name appeared in the DOM. */
  seen: number;
  seenFraction: number;
  /** Milliseconds from publishing to the DOM, of the ticks seen. */
  latency: ReturnType<typeof summarize>;
}

/**
 * Pairs the ticks published in [from, to] for `taskIds` with the first time the page showed each
 * (`seen`: tick key -> epoch ms, the page's performance.timeOrigin + now()). A tick that never
 * showed (superseded within a frame, or coalesced) counts in `sampled`, not in the latency.
 */
export function matchTicks(options: {
  published: readonly PublishedTick[];
  seen: ReadonlyMap<string, number>;
  taskIds: ReadonlySet<number>;
  from: number;
  to: number;
}): TickMatch {
  const latencies: number[] = [];
  let sampled = 0;
  for (const tick of options.published) {
    if (tick.publishedAt < options.from || tick.publishedAt > options.to) continue;
    if (!options.taskIds.has(tick.taskId)) continue;
    sampled += 1;
    const shownAt = options.seen.get(tickKey(tick.taskId, tick.seq));
    // Clocks are one machine's; a negative delta is rounding between the two processes.
    if (shownAt !== undefined) latencies.push(Math.max(0, shownAt - tick.publishedAt));
  }
  return {
    sampled,
    seen: latencies.length,
    seenFraction: sampled > 0 ? Math.round((latencies.length / sampled) * 1000) / 1000 : 0,
    latency: summarize(latencies),
  };
}

/**
 * When task `index` of `count` ticks, for ticks every `intervalMs`: offsets spread evenly over one
 * interval, so the load is a steady stream and not a burst every interval.
 */
export function tickOffsetMs(index: number, count: number, intervalMs: number): number {
  return count > 0 ? (index * intervalMs) / count : 0;
}

/** How many ticks a task at `offsetMs` is due by `elapsedMs` after the start (one at its offset). */
export function ticksDue(elapsedMs: number, offsetMs: number, intervalMs: number): number {
  if (elapsedMs < offsetMs) return 0;
  return Math.floor((elapsedMs - offsetMs) / intervalMs) + 1;
}
