// What runs inside the page, as plain JavaScript source (a function passed to page.evaluate would
// be the tsx-compiled one, with helpers the page does not have). It installs `window.__bench`:
//   start()    clears the samples, then records requestAnimationFrame deltas and long tasks
//   stop()     stops the frames and long tasks (ticks keep being recorded: late ones count)
//   collect()  everything, times in epoch ms (performance.timeOrigin + performance.now())
// A MutationObserver on the document notes the first time each tick's file name appears in a
// text node (tickFileName's `lesson-<task>-<seq>.mp4`), from start() on.

export interface ProbeSamples {
  /** Epoch ms of start() and stop(). */
  startedAt: number;
  stoppedAt: number;
  /** requestAnimationFrame deltas, ms. */
  frames: number[];
  longTasks: Array<{ at: number; duration: number }>;
  /** Tick key -> epoch ms when first in the DOM. */
  seen: Array<[string, number]>;
  /** Mutation records the observer looked at (its own cost scales with it). */
  mutations: number;
}

export const PROBE_SOURCE = `(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const STAMP = /lesson-(\\d+)-(\\d+)\\.mp4/;
  const state = { recording: false, framing: false, startedAt: 0, stoppedAt: 0, frames: [],
    longTasks: [], seen: new Map(), mutations: 0, last: 0 };
  const note = (text, at) => {
    if (!text) return;
    const match = STAMP.exec(text);
    if (!match) return;
    const key = match[1] + '-' + match[2];
    if (!state.seen.has(key)) state.seen.set(key, at);
  };
  new MutationObserver((records) => {
    if (!state.recording) return;
    const at = now();
    state.mutations += records.length;
    for (const record of records) {
      if (record.type === 'characterData') note(record.target.nodeValue, at);
      else for (const node of record.addedNodes) note(node.textContent, at);
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
  new PerformanceObserver((list) => {
    if (!state.framing) return;
    for (const entry of list.getEntries()) {
      state.longTasks.push({ at: performance.timeOrigin + entry.startTime, duration: entry.duration });
    }
  }).observe({ type: 'longtask' });
  const frame = (t) => {
    if (!state.framing) return;
    if (state.last) state.frames.push(t - state.last);
    state.last = t;
    requestAnimationFrame(frame);
  };
  window.__bench = {
    start() {
      Object.assign(state, { recording: true, framing: true, startedAt: now(), frames: [],
        longTasks: [], seen: new Map(), mutations: 0, last: 0 });
      requestAnimationFrame(frame);
    },
    stop() {
      state.framing = false;
      state.stoppedAt = now();
    },
    collect() {
      state.recording = false;
      return { startedAt: state.startedAt, stoppedAt: state.stoppedAt, frames: state.frames,
        longTasks: state.longTasks, seen: [...state.seen], mutations: state.mutations };
    },
  };
})();`;
