/**
 * What every thread of Chromium did during each long frame of a timeline trace. A frame is the
 * gap between two consecutive `FireAnimationFrame` events on the page's renderer main thread
 * (the probe asks for a requestAnimationFrame every frame, so there is one per frame). For a gap
 * over the budget, each thread that ran anything in it gets: its busy wall time (the union of its
 * outermost events, clipped to the window), the CPU time of those events (`tdur`: wall time much
 * above CPU time means the thread was descheduled, i.e. the machine, not our work), and its
 * longest events with what they were (GC heap sizes, style element counts, script functions).
 */
interface TraceEvent {
  name: string;
  cat?: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: Record<string, unknown>;
}

interface Span {
  name: string;
  ts: number;
  end: number;
  cpu: number | null;
  depth: number;
  detail: string;
}

export interface LongFrame {
  /** The window on the trace clock, µs. */
  fromUs: number;
  toUs: number;
  startMs: number;
  durationMs: number;
  threads: Array<{
    thread: string;
    busyMs: number;
    cpuMs: number | null;
    longestGapMs: number;
    top: Array<{ name: string; ms: number; cpuMs: number | null; depth: number; detail: string }>;
  }>;
}

const WRAPPERS = new Set(['RunTask', 'ThreadControllerImpl::RunTask', 'ThreadPool_RunTask']);

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** A few words on what an event was about, from its arguments. */
function detailOf(e: TraceEvent): string {
  const args = record(e.args);
  const data = record(args.data);
  const begin = record(args.beginData);
  const end = record(args.endData);
  const parts: string[] = [];
  if (typeof data.functionName === 'string' && data.functionName) parts.push(`fn ${data.functionName}`);
  if (typeof data.url === 'string' && data.url) parts.push(String(data.url).split('/').pop() ?? '');
  if (typeof data.lineNumber === 'number') parts.push(`:${data.lineNumber}`);
  if (typeof data.type === 'string') parts.push(`type ${data.type}`);
  if (typeof args.elementCount === 'number') parts.push(`${args.elementCount} elements`);
  if (typeof data.elementCount === 'number') parts.push(`${data.elementCount} elements`);
  if (typeof begin.dirtyObjects === 'number')
    parts.push(`${begin.dirtyObjects}/${begin.totalObjects} dirty objects`);
  if (typeof end.layoutRoots === 'object') parts.push('layout roots');
  for (const key of ['usedHeapSizeBefore', 'usedHeapSizeAfter'] as const) {
    if (typeof data[key] === 'number')
      parts.push(`${key.replace('usedHeapSize', '')} ${(Number(data[key]) / 1048576).toFixed(1)} MB`);
    if (typeof args[key] === 'number')
      parts.push(`${key.replace('usedHeapSize', '')} ${(Number(args[key]) / 1048576).toFixed(1)} MB`);
  }
  if (typeof data.type === 'undefined' && typeof args.type === 'string') parts.push(`type ${args.type}`);
  return parts.join(' ');
}

/** Spans per thread: complete events as they are, begin/end pairs matched. */
function spansByThread(events: readonly TraceEvent[]): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  const open = new Map<string, TraceEvent[]>();
  const push = (key: string, span: Span) => {
    const list = out.get(key) ?? [];
    list.push(span);
    out.set(key, list);
  };
  for (const e of events) {
    const key = `${e.pid}/${e.tid}`;
    if (e.ph === 'X' && typeof e.dur === 'number') {
      push(key, {
        name: e.name,
        ts: e.ts,
        end: e.ts + e.dur,
        cpu: typeof e.tdur === 'number' ? e.tdur : null,
        depth: 0,
        detail: detailOf(e),
      });
    } else if (e.ph === 'B') {
      const stack = open.get(key) ?? [];
      stack.push(e);
      open.set(key, stack);
    } else if (e.ph === 'E') {
      const begin = open.get(key)?.pop();
      if (begin)
        push(key, {
          name: begin.name,
          ts: begin.ts,
          end: e.ts,
          cpu: null,
          depth: 0,
          detail: detailOf(begin),
        });
    }
  }
  for (const spans of out.values()) {
    spans.sort((a, b) => a.ts - b.ts || b.end - a.end);
    const stack: Span[] = [];
    for (const span of spans) {
      while (stack.length > 0 && stack[stack.length - 1]!.end <= span.ts) stack.pop();
      span.depth = stack.length;
      stack.push(span);
    }
  }
  return out;
}

export function findLongFrames(json: string, budgetMs = 50, top = 6): LongFrame[] {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const names = new Map<string, string>();
  const processes = new Map<number, string>();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    const name = record(e.args).name;
    if (typeof name !== 'string') continue;
    if (e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, name);
    if (e.name === 'process_name') processes.set(e.pid, name);
  }
  const label = (key: string) => {
    const pid = Number(key.split('/')[0]);
    return `${processes.get(pid) ?? `pid ${pid}`}/${names.get(key) ?? key}`;
  };
  const spans = spansByThread(events);
  // The page's main thread: the renderer main thread with the most animation frames.
  let main: string | null = null;
  let frames: number[] = [];
  for (const [key, list] of spans) {
    if (names.get(key) !== 'CrRendererMain') continue;
    const fired = list.filter((s) => s.name === 'FireAnimationFrame').map((s) => s.ts);
    if (fired.length > frames.length) {
      main = key;
      frames = fired;
    }
  }
  if (!main) return [];
  const long: LongFrame[] = [];
  const origin = frames[0] ?? 0;
  for (let i = 1; i < frames.length; i++) {
    const from = frames[i - 1]!;
    const to = frames[i]!;
    if ((to - from) / 1000 <= budgetMs) continue;
    const threads: LongFrame['threads'] = [];
    for (const [key, list] of spans) {
      const inside = list.filter((s) => s.end > from && s.ts < to);
      if (inside.length === 0) continue;
      const clip = (s: Span) => Math.min(s.end, to) - Math.max(s.ts, from);
      const outer = inside.filter((s) => s.depth === 0);
      let busy = 0;
      let cpu: number | null = 0;
      let cursor = from;
      let gap = 0;
      for (const s of outer) {
        const start = Math.max(s.ts, from);
        gap = Math.max(gap, start - cursor);
        cursor = Math.max(cursor, Math.min(s.end, to));
        busy += clip(s);
        // CPU time of a span cut by the window: in proportion to the part inside.
        if (cpu !== null && s.cpu !== null) cpu += (s.cpu * clip(s)) / Math.max(1, s.end - s.ts);
        else cpu = null;
      }
      gap = Math.max(gap, to - cursor);
      const ranked = inside
        .filter((s) => !WRAPPERS.has(s.name) || s.depth === 0)
        .sort((a, b) => clip(b) - clip(a))
        .slice(0, top)
        .map((s) => ({
          name: s.name,
          ms: round(clip(s) / 1000),
          cpuMs: s.cpu === null ? null : round(s.cpu / 1000),
          depth: s.depth,
          detail: s.detail,
        }));
      threads.push({
        thread: label(key) + (key === main ? ' (page main)' : ''),
        busyMs: round(busy / 1000),
        cpuMs: cpu === null ? null : round(cpu / 1000),
        longestGapMs: round(gap / 1000),
        top: ranked,
      });
    }
    threads.sort((a, b) => b.busyMs - a.busyMs);
    long.push({
      fromUs: from,
      toUs: to,
      startMs: round((from - origin) / 1000),
      durationMs: round((to - from) / 1000),
      threads,
    });
  }
  return long;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The long frames as text, each thread busy first, for the bench's log. */
export function formatLongFrames(
  frames: readonly LongFrame[],
  machine?: (from: number, to: number) => string,
  threadsPerFrame = 4,
): string {
  if (frames.length === 0) return '  no frame over the budget in the trace';
  const lines: string[] = [];
  for (const frame of frames) {
    lines.push(`  frame at +${frame.startMs} ms: ${frame.durationMs} ms`);
    if (machine) lines.push(`    ${machine(frame.fromUs, frame.toUs)}`);
    for (const t of frame.threads.slice(0, threadsPerFrame)) {
      const cpu = t.cpuMs === null ? '' : `, cpu ${t.cpuMs} ms`;
      lines.push(`    ${t.thread}: busy ${t.busyMs} ms${cpu}, longest idle gap ${t.longestGapMs} ms`);
      for (const e of t.top.filter((event) => event.ms >= 0.5)) {
        const ecpu = e.cpuMs === null ? '' : ` (cpu ${e.cpuMs})`;
        lines.push(
          `      ${String(e.ms).padStart(6)} ms${ecpu} ${'  '.repeat(e.depth)}${e.name} ${e.detail}`.trimEnd(),
        );
      }
    }
  }
  return lines.join('\n');
}
