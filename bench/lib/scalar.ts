import type { Pool } from 'mysql2/promise';

/** The first column of a query's first row, as a number (0 when there is no row). */
export async function scalarOf(pool: Pool, query: string, params: unknown[] = []): Promise<number> {
  const [rows] = await pool.query(query, params);
  return Number(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0] ?? 0);
}
