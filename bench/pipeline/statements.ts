import type { Pool } from 'mysql2/promise';
import { sleep } from '../lib/wait.ts';

// Statements and round trips per webhook, from MySQL's global counters: performance_schema is
// off on the bench machine, so the deltas are server-wide. The rate they grow at while the
// server under test idles (its outbox poll, anyone else's connections) is measured first and
// taken off.

const COUNTERS = ['Questions', 'Com_commit', 'Com_begin', 'Com_select', 'Com_insert', 'Com_update'] as const;
type Counter = (typeof COUNTERS)[number];
export type StatementCounts = Record<Counter, number>;

async function read(pool: Pool): Promise<{ at: number; counts: StatementCounts }> {
  const [rows] = await pool.query(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(',')})`,
    [...COUNTERS],
  );
  const counts = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as StatementCounts;
  for (const row of rows as Array<{ Variable_name: string; Value: string }>) {
    counts[row.Variable_name as Counter] = Number(row.Value);
  }
  return { at: Date.now(), counts };
}

export interface StatementMeter {
  /** Per unit of work (webhook), background taken off, rounded to 0.1. */
  stop(units: number): Promise<StatementCounts>;
}

/** Measures the background rate for `idleMs`, then starts counting. */
export async function startStatementMeter(pool: Pool, idleMs = 2000): Promise<StatementMeter> {
  const idleStart = await read(pool);
  await sleep(idleMs);
  const start = await read(pool);
  const idleSeconds = (start.at - idleStart.at) / 1000;
  return {
    async stop(units) {
      const end = await read(pool);
      const seconds = (end.at - start.at) / 1000;
      const per = Object.fromEntries(
        COUNTERS.map((name) => {
          const background = ((start.counts[name] - idleStart.counts[name]) / idleSeconds) * seconds;
          const delta = end.counts[name] - start.counts[name] - background;
          return [name, Math.round((delta / Math.max(1, units)) * 10) / 10];
        }),
      ) as StatementCounts;
      return per;
    },
  };
}

/** "12 statements (4 SELECT, 4 INSERT, 3 UPDATE, 1 COMMIT)". */
export function statementText(counts: StatementCounts): string {
  return `${counts.Questions} statements (${counts.Com_select} SELECT, ${counts.Com_insert} INSERT, ${counts.Com_update} UPDATE, ${counts.Com_commit} COMMIT)`;
}
