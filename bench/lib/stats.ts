/** The q-th percentile (0..100) of samples already sorted ascending, nearest-rank; NaN when empty. */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((q / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** p50, p95, p99, min, max and mean of samples (milliseconds, say), rounded to 0.01. */
export function summarize(samples: readonly number[]): Summary {
  const round = (value: number) => Math.round(value * 100) / 100;
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50: round(nearestRank(sorted, 50)),
    p95: round(nearestRank(sorted, 95)),
    p99: round(nearestRank(sorted, 99)),
    min: round(sorted[0] ?? Number.NaN),
    max: round(sorted[sorted.length - 1] ?? Number.NaN),
    mean: round(mean),
  };
}

export interface TimeOptions {
  /** Untimed runs first, to warm caches and connections. */
  warmup?: number;
  runs?: number;
}

/** Runs `fn` `warmup` times untimed, then `runs` times, and returns each run's milliseconds. */
export async function timeRuns(fn: () => Promise<unknown>, options: TimeOptions = {}): Promise<number[]> {
  const { warmup = 10, runs = 200 } = options;
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}
