// The scale benchmark's figures of one topology, and their table rows.
import type { Cell } from '../lib/report.ts';
import { summarize } from '../lib/stats.ts';
import type { LoadResult } from './load.ts';
import type { PhaseCost } from './meters.ts';

const round = (value: number, digits = 1) =>
  Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null;
const per = (total: number, units: number, digits = 1) => (units > 0 ? round(total / units, digits) : null);

/**
 * The resource nearest its ceiling in a phase: each Node process and Redis node against one core,
 * MySQL against all, and the machine's cores themselves (every process here shares them).
 */
function saturated(cost: PhaseCost): { resource: string; share: number } {
  const candidates = Object.entries(cost.utilization).filter(([name]) => name !== 'bench');
  candidates.push(['machine', cost.machineBusy]);
  const [resource, share] = candidates.sort((a, b) => b[1] - a[1])[0]!;
  return { resource, share };
}

type Measure = 'servers' | 'workers' | 'redisCpuMs' | 'redisCalls' | 'Questions' | 'Com_commit';

/** A phase's amount of a measure, less what the idle deployment spends in as long. */
function netOf(cost: PhaseCost, idle: PhaseCost, measure: Measure): number {
  const amount = (c: PhaseCost) =>
    measure === 'Questions' || measure === 'Com_commit' ? (c.mysql[measure] ?? 0) : c[measure];
  return Math.max(0, amount(cost) - (amount(idle) / Math.max(idle.seconds, 0.001)) * cost.seconds);
}

/** Every figure of one topology's run, flat enough for one JSON object. */
export function topologyFigures(result: LoadResult) {
  const { webhooks, tasks, fanout, idle } = result;
  const net = (cost: PhaseCost, measure: Measure) => netOf(cost, idle, measure);
  const taskDeliveries = result.deliveries.tasks!;
  const fanoutDeliveries = result.deliveries.fanout!;
  const webhookDeliveries = result.deliveries.webhooks!;
  const allLatencies = [
    ...webhookDeliveries.latenciesMs,
    ...taskDeliveries.latenciesMs,
    ...fanoutDeliveries.latenciesMs,
  ];
  return {
    orders: webhooks.count,
    tasks: tasks.count,
    webhooks_per_s: per(webhooks.count, webhooks.seconds),
    webhook_failures: webhooks.failed,
    webhook_latency_ms: summarize(webhooks.latenciesMs),
    tasks_per_s: per(tasks.count, tasks.seconds, 2),
    tasks_seconds: round(tasks.seconds, 2),
    task_run_ms: summarize(tasks.runMs),
    task_queue_wait_ms: summarize(tasks.waitMs),
    deliveries_per_s: per(taskDeliveries.messages, taskDeliveries.seconds),
    delivered_messages: {
      webhooks: webhookDeliveries.messages,
      tasks: taskDeliveries.messages,
      fanout: fanoutDeliveries.messages,
    },
    delivered_events: {
      webhooks: webhookDeliveries.events,
      tasks: taskDeliveries.events,
      fanout: fanoutDeliveries.events,
    },
    fanout_published: fanout.published,
    fanout_deliveries_per_s: per(fanoutDeliveries.messages, fanoutDeliveries.seconds),
    delivery_latency_ms: summarize(allLatencies),
    delivery_latency_tasks_ms: summarize(taskDeliveries.latenciesMs),
    lost: result.lost,
    client_errors: result.clientErrors,
    cpu_us_per_webhook_server: per(net(webhooks.cost, 'servers') * 1000, webhooks.count),
    cpu_us_per_task_server: per(net(tasks.cost, 'servers') * 1000, tasks.count),
    cpu_us_per_task_worker: per(net(tasks.cost, 'workers') * 1000, tasks.count),
    cpu_us_per_delivered_message_server: per(net(fanout.cost, 'servers') * 1000, fanoutDeliveries.messages),
    redis_commands_per_webhook: per(net(webhooks.cost, 'redisCalls'), webhooks.count),
    redis_commands_per_task: per(net(tasks.cost, 'redisCalls'), tasks.count),
    redis_cpu_us_per_task: per(net(tasks.cost, 'redisCpuMs') * 1000, tasks.count),
    mysql_statements_per_webhook: per(net(webhooks.cost, 'Questions'), webhooks.count),
    mysql_statements_per_task: per(net(tasks.cost, 'Questions'), tasks.count),
    mysql_commits_per_task: per(net(tasks.cost, 'Com_commit'), tasks.count, 2),
    mysql_commits_per_s_tasks: per(tasks.cost.mysql.Com_commit ?? 0, tasks.cost.seconds),
    mysql_commits_per_s_webhooks: per(webhooks.cost.mysql.Com_commit ?? 0, webhooks.cost.seconds),
    utilization_webhooks: webhooks.cost.utilization,
    utilization_tasks: tasks.cost.utilization,
    machine_busy_webhooks: webhooks.cost.machineBusy,
    machine_busy_tasks: tasks.cost.machineBusy,
    saturated_webhooks: saturated(webhooks.cost),
    saturated_tasks: saturated(tasks.cost),
    reconnected_clients: result.reconnected,
    idle_seconds: round(idle.seconds, 2),
    idle_cpu_ms_per_s: Object.fromEntries(
      Object.entries(idle.cpuMs).map(([name, ms]) => [name, round(ms / idle.seconds)]),
    ),
    idle_redis_commands_per_s: per(idle.redisCalls, idle.seconds),
    idle_mysql_statements_per_s: per(idle.mysql.Questions ?? 0, idle.seconds),
    phase_seconds: {
      webhooks: round(webhooks.cost.seconds, 2),
      tasks: round(tasks.cost.seconds, 2),
      fanout: round(fanout.cost.seconds, 2),
    },
    raw_totals: {
      webhooks: { server_cpu_ms: webhooks.cost.servers, redis_commands: webhooks.cost.redisCalls },
      tasks: {
        server_cpu_ms: tasks.cost.servers,
        worker_cpu_ms: tasks.cost.workers,
        redis_commands: tasks.cost.redisCalls,
        redis_cpu_ms: tasks.cost.redisCpuMs,
      },
      fanout: { server_cpu_ms: fanout.cost.servers },
    },
    cpu_ms: {
      idle: idle.cpuMs,
      webhooks: webhooks.cost.cpuMs,
      tasks: tasks.cost.cpuMs,
      fanout: fanout.cost.cpuMs,
    },
    mysql: { webhooks: webhooks.cost.mysql, tasks: tasks.cost.mysql },
  };
}

export type TopologyFigures = ReturnType<typeof topologyFigures>;

/** The table's rows: one per measure, a column per topology. */
export function tableRows(figures: TopologyFigures[]): Cell[][] {
  const row = (label: string, value: (f: TopologyFigures) => Cell): Cell[] => [label, ...figures.map(value)];
  const pct = (share: number | undefined) => (share === undefined ? null : `${Math.round(share * 100)}%`);
  return [
    row('orders / tasks', (f) => `${f.orders} / ${f.tasks}`),
    row('webhooks/s', (f) => f.webhooks_per_s),
    row('webhook latency p50 / p99 ms', (f) => `${f.webhook_latency_ms.p50} / ${f.webhook_latency_ms.p99}`),
    row('tasks/s (queue resumed -> last done)', (f) => f.tasks_per_s),
    row(
      'task e2e p50 / p99 ms (claim -> client sees done)',
      (f) => `${f.task_run_ms.p50} / ${f.task_run_ms.p99}`,
    ),
    row('task queue wait p99 ms', (f) => f.task_queue_wait_ms.p99),
    row('deliveries/s (task phase)', (f) => f.deliveries_per_s),
    row('deliveries/s (fan-out phase)', (f) => f.fanout_deliveries_per_s),
    row(
      'delivery latency p50 / p99 ms',
      (f) => `${f.delivery_latency_ms.p50} / ${f.delivery_latency_ms.p99}`,
    ),
    row('lost tasks / orders / clients / status msgs', (f) =>
      [f.lost.tasks, f.lost.orders, f.lost.clients, f.lost.statusMessages].join(' / '),
    ),
    row('clients that reconnected (snapshot again)', (f) => f.reconnected_clients),
    row('per-unit costs below: net of the idle deployment', () => ''),
    row('server CPU us per webhook', (f) => f.cpu_us_per_webhook_server),
    row('server CPU us per task', (f) => f.cpu_us_per_task_server),
    row('worker CPU us per task', (f) => f.cpu_us_per_task_worker),
    row('server CPU us per delivered message', (f) => f.cpu_us_per_delivered_message_server),
    row(
      'Redis commands per webhook / per task',
      (f) => `${f.redis_commands_per_webhook} / ${f.redis_commands_per_task}`,
    ),
    row(
      'MySQL statements per webhook / per task',
      (f) => `${f.mysql_statements_per_webhook} / ${f.mysql_statements_per_task}`,
    ),
    row(
      'MySQL commits/s (webhooks / tasks)',
      (f) => `${f.mysql_commits_per_s_webhooks} / ${f.mysql_commits_per_s_tasks}`,
    ),
    row('busiest server / worker / redis / mysqld, tasks', (f) =>
      [
        f.utilization_tasks.server,
        f.utilization_tasks.worker,
        f.utilization_tasks.redis,
        f.utilization_tasks.mysqld,
      ]
        .map(pct)
        .join(' / '),
    ),
    row(
      'saturated first (webhooks)',
      (f) => `${f.saturated_webhooks.resource} ${pct(f.saturated_webhooks.share)}`,
    ),
    row('saturated first (tasks)', (f) => `${f.saturated_tasks.resource} ${pct(f.saturated_tasks.share)}`),
    row(
      'machine CPU busy (webhooks / tasks)',
      (f) => `${pct(f.machine_busy_webhooks)} / ${pct(f.machine_busy_tasks)}`,
    ),
  ];
}
