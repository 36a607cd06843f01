/**
 * Where the renderer's main thread spends a measured window, from a Chromium timeline trace:
 * the inclusive time of each event name (nested events count in each of their parents' names
 * too, so the rows do not add up), per second of the window, busiest first. `RunTask` is the
 * thread's busy time; `UpdateLayoutTree` is style, `Layout`, `Paint`, and `FunctionCall` /
 * `EvaluateScript` are JavaScript.
 */
interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  args?: { name?: string };
}

export function summariseTrace(json: string, seconds: number, top = 12): string {
  const parsed = JSON.parse(json) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const main = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}/${e.tid}`),
  );
  const totals = new Map<string, number>();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined || !main.has(`${e.pid}/${e.tid}`)) continue;
    totals.set(e.name, (totals.get(e.name) ?? 0) + e.dur);
  }
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => `  ${(us / 1000 / seconds).toFixed(1).padStart(7)} ms/s  ${name}`)
    .join('\n');
}
