/** What a segmented progress bar shows, in task units. */
export interface SegmentCounts {
  total: number;
  completed: number;
  failed: number;
  /** Work done on tasks still running, in task units (two tasks at 50% = 1). */
  inProgress: number;
}

/** Widths in percent of the bar (they sum to 100 with `remaining`) and the percent to print. */
export interface Segments {
  completed: number;
  failed: number;
  inProgress: number;
  remaining: number;
  /** Work done out of all, whole percent; 100 only when every task has ended. */
  percent: number;
}

const round2 = (value: number) => Math.round(value * 100) / 100;
const finite = (value: number) => (Number.isFinite(value) && value > 0 ? value : 0);

/**
 * Splits a bar into completed, failed and in-progress segments. Inputs are clamped so that a late
 * or inconsistent counter can never draw past 100% or a negative width.
 */
export function computeSegments(counts: SegmentCounts): Segments {
  const total = finite(counts.total);
  if (total === 0) return { completed: 0, failed: 0, inProgress: 0, remaining: 100, percent: 0 };
  const completed = Math.min(finite(counts.completed), total);
  const failed = Math.min(finite(counts.failed), total - completed);
  const inProgress = Math.min(finite(counts.inProgress), total - completed - failed);
  const widths = {
    completed: round2((completed / total) * 100),
    failed: round2((failed / total) * 100),
    inProgress: round2((inProgress / total) * 100),
  };
  const remaining = Math.max(0, round2(100 - widths.completed - widths.failed - widths.inProgress));
  const done = completed + failed + inProgress;
  const ended = completed + failed >= total;
  const percent = ended ? 100 : Math.min(99, Math.floor((done / total) * 100));
  return { ...widths, remaining, percent };
}

/**
 * Task units still running, from an order's aggregate percent (which counts every task's own
 * percent) minus what has already ended.
 */
export function inProgressFromPercent(options: {
  percent: number;
  total: number;
  completed: number;
  failed: number;
}): number {
  const { percent, total, completed, failed } = options;
  if (total <= 0 || !Number.isFinite(percent)) return 0;
  return Math.max(0, (Math.min(100, Math.max(0, percent)) / 100) * total - completed - failed);
}
