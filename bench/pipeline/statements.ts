import type { Pool } from 'mysql2/promise';
import { startCounterMeter } from './counter-meter.ts';

// Statements and round trips per webhook, from MySQL's global counters: performance_schema is
// off on the bench machine, so the deltas are server-wide, the background taken off
// (counter-meter.ts).

const COUNTERS = ['Questions', 'Com_commit', 'Com_begin', 'Com_select', 'Com_insert', 'Com_update'] as const;
type Counter = (typeof COUNTERS)[number];
export type StatementCounts = Record<Counter, number>;

async function read(pool: Pool): Promise<Map<string, number>> {
  const [rows] = await pool.query(
    `SHOW GLOBAL STATUS WHERE Variable_name IN (${COUNTERS.map(() => '?').join(',')})`,
    [...COUNTERS],
  );
  const counts = new Map<string, number>(COUNTERS.map((name) => [name, 0]));
  for (const row of rows as Array<{ Variable_name: string; Value: string }>) {
    counts.set(row.Variable_name, Number(row.Value));
  }
  return counts;
}

export interface StatementMeter {
  /** Per unit of work (webhook), background taken off, rounded to 0.1. */
  stop(units: number): Promise<StatementCounts>;
}

/** Measures the background rate for `idleMs`, then starts counting. */
export async function startStatementMeter(pool: Pool, idleMs = 2000): Promise<StatementMeter> {
  const meter = await startCounterMeter(() => read(pool), idleMs);
  return {
    async stop(units) {
      const per = await meter.stop(units);
      return Object.fromEntries(
        COUNTERS.map((name) => [name, Math.round((per.get(name) ?? 0) * 10) / 10]),
      ) as StatementCounts;
    },
  };
}

/** "12 statements (4 SELECT, 4 INSERT, 3 UPDATE, 1 COMMIT)". */
export function statementText(counts: StatementCounts): string {
  return `${counts.Questions} statements (${counts.Com_select} SELECT, ${counts.Com_insert} INSERT, ${counts.Com_update} UPDATE, ${counts.Com_commit} COMMIT)`;
}
