/** A job that runs on start and then every interval, one run at a time. */
export interface Periodic {
  start(): void;
  /** Clears the timer and waits for the run in progress, if any. */
  stop(): Promise<void>;
}

/**
 * Runs `run` at start and every `intervalMs`; a tick while a run is in progress is skipped, so
 * two runs never overlap. The timer does not keep the process alive. `run` must not throw.
 */
export function periodic(run: () => Promise<unknown>, intervalMs: number): Periodic {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  function tick(): void {
    if (running) return;
    running = run().finally(() => {
      running = null;
    });
  }
  return {
    start() {
      if (timer) return;
      tick();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
