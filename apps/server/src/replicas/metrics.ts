import type { ReadRouter } from '@paidflow/db';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The replicas' gauges on /metrics, read from the last poll at scrape time (no query per scrape),
 * and a counter of where routed selects went. Labelled host:port, never the URL's credentials.
 */
export function registerReplicaMetrics(
  registry: Registry,
  reads: () => ReadRouter,
): { routed: Counter<'target'> } {
  new Gauge({
    name: 'paidflow_mysql_replica_lag_seconds',
    help: 'Seconds_Behind_Master of each MySQL read replica at its last poll (NaN when unknown)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of reads().statuses())
        this.set({ replica: status.name }, status.lagSeconds ?? Number.NaN);
    },
  });
  new Gauge({
    name: 'paidflow_mysql_replica_healthy',
    help: 'Whether a MySQL read replica serves reads (1): replicating, reachable and within REPLICA_MAX_LAG_SECONDS',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const status of reads().statuses()) this.set({ replica: status.name }, Number(status.healthy));
    },
  });
  const routed = new Counter({
    name: 'paidflow_mysql_replica_routed_selects_total',
    help: "Dashboard selects routed by the read handle, by target: a replica's host:port, or primary when none was healthy",
    labelNames: ['target'] as const,
    registers: [registry],
  });
  return { routed };
}
