import { describe, expect, it } from 'vitest';
import { findLongFrames, formatLongFrames } from './trace-frames.ts';

const meta = (pid: number, tid: number, name: string) => ({
  name: 'thread_name',
  ph: 'M',
  pid,
  tid,
  ts: 0,
  args: { name },
});

function trace() {
  const frames = [0, 16_700, 33_400, 100_000, 116_700].map((ts) => ({
    name: 'FireAnimationFrame',
    ph: 'X',
    pid: 1,
    tid: 1,
    ts,
    dur: 500,
    tdur: 500,
  }));
  return JSON.stringify({
    traceEvents: [
      meta(1, 1, 'CrRendererMain'),
      meta(1, 2, 'Compositor'),
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, ts: 0, args: { name: 'Renderer' } },
      ...frames,
      { name: 'RunTask', ph: 'X', pid: 1, tid: 1, ts: 40_000, dur: 40_000, tdur: 10_000 },
      {
        name: 'MajorGC',
        ph: 'X',
        pid: 1,
        tid: 1,
        ts: 41_000,
        dur: 30_000,
        tdur: 8_000,
        args: { usedHeapSizeBefore: 30 * 1048576, usedHeapSizeAfter: 20 * 1048576 },
      },
      { name: 'RasterTask', ph: 'B', pid: 1, tid: 2, ts: 50_000 },
      { name: 'RasterTask', ph: 'E', pid: 1, tid: 2, ts: 52_000 },
    ],
  });
}

describe('findLongFrames', () => {
  it('finds the gap between animation frames over the budget, and what each thread did in it', () => {
    const [frame, ...others] = findLongFrames(trace(), 50);
    expect(others).toEqual([]);
    expect(frame?.durationMs).toBe(66.6);
    const main = frame?.threads.find((t) => t.thread.includes('(page main)'));
    // The task ran 40 ms of wall time on 10 ms of CPU (plus 0.5 of the first frame): descheduled.
    expect(main?.busyMs).toBe(40.5);
    expect(main?.cpuMs).toBe(10.5);
    expect(main?.top[1]).toMatchObject({
      name: 'MajorGC',
      ms: 30,
      depth: 1,
      detail: 'Before 30.0 MB After 20.0 MB',
    });
    const compositor = frame?.threads.find((t) => t.thread === 'Renderer/Compositor');
    expect(compositor).toMatchObject({ busyMs: 2, longestGapMs: 48 });
    expect(formatLongFrames([frame!])).toContain('MajorGC Before 30.0 MB');
  });

  it('reports nothing when every frame is on time', () => {
    expect(findLongFrames(trace(), 100)).toEqual([]);
  });
});
