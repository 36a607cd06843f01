// npm run bench -- scale [--orders 200] [--tasks-per-order 3] [--clients 1000] [--quick]
//                        [--worker-concurrency 16] [--topologies a,b]
// The same load on two deployments of this machine (bench/lib/topology.ts):
//   A: 1 server + 1 worker on one redis-server (a private one on a spare port);
//   B: 3 servers + 4 workers behind haproxy (deploy/haproxy/haproxy.cfg) on a 3-master Redis Cluster.
// Load: signed webhooks pay N orders (each a few tasks whose downloads wait on the bps-limited
// course source), watched by WebSocket clients spread over the servers by haproxy. Per topology:
// throughput, latencies, losses (must be 0), per-unit costs (CPU, Redis commands, MySQL
// statements) and which resource came nearest its ceiling. A table, then one JSON line.
import { serverKind } from './lib/app-build.ts';
import { printReport, progressLog } from './lib/report.ts';
import { startTopology } from './lib/topology.ts';
import { runLoad } from './scale/load.ts';
import { type TopologyFigures, tableRows, topologyFigures } from './scale/report.ts';
import { scaleSettings } from './scale/settings.ts';

const SHAPES = {
  a: { label: 'A: 1 server + 1 worker, one Redis', servers: 1, workers: 1, redis: 'single' },
  b: {
    label: 'B: 3 servers + 4 workers, haproxy, 3-master cluster',
    servers: 3,
    workers: 4,
    redis: 'cluster',
  },
} as const;

async function main(): Promise<void> {
  const settings = scaleSettings(process.argv.slice(2));
  const log = progressLog('scale');
  const results: Array<{ name: string; label: string; figures: TopologyFigures }> = [];
  for (const name of settings.topologies) {
    const shape = SHAPES[name];
    log(`topology ${shape.label}`);
    const topo = await startTopology({
      servers: shape.servers,
      workers: shape.workers,
      redis: shape.redis,
      workerConcurrency: settings.workerConcurrency,
      // The product's own outbox poll (the harness polls faster, for tests): a committed webhook
      // wakes its own server's drainer anyway.
      serverEnv: { OUTBOX_POLL_MS: undefined },
      label: `scale_${name}`,
      log,
    });
    try {
      const result = await runLoad(topo, { ...settings, log });
      results.push({ name, label: shape.label, figures: topologyFigures(result) });
    } finally {
      await topo.stop();
    }
  }
  printReport({
    title: `Scale benchmark: ${settings.orders} orders x ${settings.tasksPerOrder} tasks, ${settings.clients} clients (servers and workers: ${serverKind()})`,
    headers: ['measure', ...results.map((r) => r.label)],
    rows: tableRows(results.map((r) => r.figures)),
    figures: {
      settings,
      server: serverKind(),
      ...Object.fromEntries(results.map((r) => [`topology_${r.name}`, { label: r.label, ...r.figures }])),
    },
  });
}

await main();
