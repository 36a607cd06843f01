import { summarize } from '../lib/stats.ts';
import type { ProbeSamples } from './probe.ts';
import { matchTicks, type PublishedTick } from './ticks.ts';

/** The target: no frame over this. */
export const FRAME_BUDGET_MS = 50;

export interface PageFigures {
  page: string;
  frames: number;
  frameP50Ms: number;
  frameP95Ms: number;
  frameP99Ms: number;
  frameMaxMs: number;
  framesOver50Ms: number;
  longTasks: number;
  longTaskTotalMs: number;
  longTaskMaxMs: number;
  ticksSampled: number;
  ticksSeen: number;
  ticksSeenFraction: number;
  tickToDomP50Ms: number;
  tickToDomP95Ms: number;
  tickToDomP99Ms: number;
  tickToDomMaxMs: number;
  mutationsPerSecond: number;
}

/** One page's figures: its frames and long tasks, and its ticks matched to what it showed. */
export function pageFigures(options: {
  name: string;
  samples: ProbeSamples;
  published: readonly PublishedTick[];
  taskIds: ReadonlySet<number>;
}): PageFigures {
  const { samples } = options;
  const frames = summarize(samples.frames);
  const ticks = matchTicks({
    published: options.published,
    seen: new Map(samples.seen),
    taskIds: options.taskIds,
    from: samples.startedAt,
    to: samples.stoppedAt,
  });
  const longTaskMs = samples.longTasks.map((task) => task.duration);
  const seconds = Math.max(0.001, (samples.stoppedAt - samples.startedAt) / 1000);
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    page: options.name,
    frames: frames.n,
    frameP50Ms: round(frames.p50),
    frameP95Ms: round(frames.p95),
    frameP99Ms: round(frames.p99),
    frameMaxMs: round(frames.max),
    framesOver50Ms: samples.frames.filter((delta) => delta > FRAME_BUDGET_MS).length,
    longTasks: longTaskMs.length,
    longTaskTotalMs: Math.round(longTaskMs.reduce((sum, ms) => sum + ms, 0)),
    longTaskMaxMs: Math.round(Math.max(0, ...longTaskMs)),
    ticksSampled: ticks.sampled,
    ticksSeen: ticks.seen,
    ticksSeenFraction: ticks.seenFraction,
    tickToDomP50Ms: round(ticks.latency.p50),
    tickToDomP95Ms: round(ticks.latency.p95),
    tickToDomP99Ms: round(ticks.latency.p99),
    tickToDomMaxMs: round(ticks.latency.max),
    mutationsPerSecond: Math.round(samples.mutations / seconds),
  };
}
