import { sleep } from '../lib/wait.ts';

// Server-wide counters per unit of work (MySQL's statement counters, Redis's commandstats): the
// rate they grow at while the server under test idles (its polls and leases, anyone else's
// connections) is measured first and taken off the counts of the measured window.

export interface CounterMeter {
  /** Each counter's growth per unit, background taken off, not rounded. */
  stop(units: number): Promise<Map<string, number>>;
}

/** Reads `read` over `idleMs` of idling, then starts counting. */
export async function startCounterMeter(
  read: () => Promise<Map<string, number>>,
  idleMs = 2000,
): Promise<CounterMeter> {
  const snapshot = async () => ({ at: Date.now(), counts: await read() });
  const idleStart = await snapshot();
  await sleep(idleMs);
  const start = await snapshot();
  const idleSeconds = Math.max(0.001, (start.at - idleStart.at) / 1000);
  return {
    async stop(units) {
      const end = await snapshot();
      const seconds = (end.at - start.at) / 1000;
      const per = new Map<string, number>();
      for (const [name, value] of end.counts) {
        const atStart = start.counts.get(name) ?? 0;
        const background = ((atStart - (idleStart.counts.get(name) ?? 0)) / idleSeconds) * seconds;
        per.set(name, (value - atStart - background) / Math.max(1, units));
      }
      return per;
    },
  };
}
