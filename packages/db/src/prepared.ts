import type { Db, DbOrTx } from './client.ts';

// Drizzle builds a statement's SQL every time it runs one: on this machine about 90 µs of CPU and
// 45-50 KB of garbage for a two-table select, more than MySQL takes to answer it. A prepared query
// (placeholders, `.prepare()`) is built once. The hottest fixed-shape reads are prepared here, once
// per pool handle: the session lookup behind every request and WebSocket upgrade, and the order
// and task reads behind every live subscription's snapshot (decision 062).

/** The handles made by createDb: each is one pool, so a query prepared on it can be kept. */
const poolHandles = new WeakSet<object>();

/** Marks a handle whose prepared queries may be kept (createDb's). */
export function registerPoolHandle(db: Db): void {
  poolHandles.add(db);
}

/**
 * A query prepared once per pool handle. Any other handle (a transaction, which runs on its own
 * connection, or the replica router, which picks a replica per query) gets a fresh one each time:
 * the same cost as an unprepared query, and the same statement.
 */
export function preparedPerPool<P>(build: (db: DbOrTx) => P): (db: DbOrTx) => P {
  const cache = new WeakMap<object, P>();
  return (db) => {
    if (!poolHandles.has(db)) return build(db);
    let prepared = cache.get(db);
    if (prepared === undefined) {
      prepared = build(db);
      cache.set(db, prepared);
    }
    return prepared;
  };
}
