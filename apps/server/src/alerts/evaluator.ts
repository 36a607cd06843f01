import { pingDatabase } from '@paidflow/db';
import { withTimeout } from '@paidflow/runtime';
import type { AppDeps } from '../deps.ts';
import { publishLive } from '../realtime/publisher.ts';
import { type AlertSender, createAlertSender } from './channels.ts';
import { alertInstanceId, checkDependencies } from './checks-dependencies.ts';
import { checkDatabase } from './checks-mysql.ts';
import { checkQueue } from './checks-queue.ts';
import { checkWorkers } from './checks-workers.ts';
import { createEvaluatorLease, type Leadership } from './lease.ts';
import { applyOutcomes } from './lifecycle.ts';
import { type AlertStore, mysqlAlertStore, offlineAlertStore, recordOffline } from './store.ts';
import type { AlertEvent, CheckOutcome } from './types.ts';

export type EvaluatorDeps = Pick<
  AppDeps,
  'env' | 'db' | 'redis' | 'queue' | 'namespace' | 'logger' | 'notifier'
>;

/** Where alerts fired while MySQL could not record them are kept meanwhile. */
export const OFFLINE_KEY = 'alerts:offline';

export interface AlertEvaluator {
  start(): void;
  /** Stops checking, waits for the check under way, and releases the lease. */
  stop(): Promise<void>;
  /** One check (what the timer runs): the events it announced, [] when another process holds the lease. */
  runOnce(): Promise<AlertEvent[]>;
  readonly sender: AlertSender;
}

const PUBLISHED = { raised: 'raised', reminder: 'reminded', resolved: 'resolved' } as const;

/**
 * The alert evaluator of one server process (docs/alerts.md, decision 050): every
 * ALERT_INTERVAL_MS it probes MySQL and Redis, takes or renews the lease, and, when it holds it,
 * runs the checks, applies them to the alerts table (raise, remind, resolve) and announces the
 * changes on the channels and on alert:{id}:status. A check that fails is skipped (its alerts
 * stay as they are); nothing it meets throws out of the timer.
 */
export function createAlertEvaluator(deps: EvaluatorDeps): AlertEvaluator {
  const { env, logger } = deps;
  const lease = createEvaluatorLease(deps, {
    leaseMs: env.ALERT_LEASE_MS,
    timeoutMs: env.ALERT_PROBE_TIMEOUT_MS,
  });
  const mysqlStore = mysqlAlertStore(deps.db);
  const offline = offlineAlertStore({ redis: deps.redis, key: deps.namespace.key(OFFLINE_KEY), logger });
  const sender = createAlertSender({
    notifier: deps.notifier,
    adminEmail: env.ADMIN_ALERT_EMAIL,
    webhookUrl: env.ALERT_WEBHOOK_URL,
    timeoutMs: env.ALERT_WEBHOOK_TIMEOUT_MS,
    attempts: env.ALERT_SEND_ATTEMPTS,
    alertsUrl: () => `${env.PUBLIC_BASE_URL}/alerts`,
    logger,
  });
  const instance = alertInstanceId(env.ALERT_INSTANCE_ID);
  const failures = { mysql: 0, redis: 0 };
  const failing = new Set<string>();
  let leadership: Leadership = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function probe(call: () => Promise<unknown>, what: string): Promise<boolean> {
    try {
      await withTimeout(call(), env.ALERT_PROBE_TIMEOUT_MS, what);
      return true;
    } catch {
      return false;
    }
  }

  /** A check that throws is skipped, logged once until it works again. */
  async function guarded(name: string, check: () => Promise<CheckOutcome>): Promise<CheckOutcome[]> {
    try {
      const outcome = await check();
      if (failing.delete(name)) logger.info({ check: name }, 'alerts: check works again');
      return [outcome];
    } catch (error) {
      if (!failing.has(name)) logger.warn({ err: error, check: name }, 'alerts: check failed; skipped');
      failing.add(name);
      return [];
    }
  }

  async function announce(events: AlertEvent[]): Promise<void> {
    for (const event of events) {
      const { alert } = event;
      logger.warn(
        { event: event.type, kind: alert.kind, subject: alert.subject, alertId: alert.id },
        `alert ${event.type}: ${alert.message}`,
      );
      await sender.send(event);
      if (alert.id === null) continue;
      await publishLive(deps, 'alert', alert.id, 'status', {
        alertId: alert.id,
        kind: alert.kind,
        subject: alert.subject,
        status: PUBLISHED[event.type],
        timestamp: event.at.getTime(),
      });
    }
  }

  async function runOnce(): Promise<AlertEvent[]> {
    const now = Date.now();
    const [mysqlUp, redisUp] = await Promise.all([
      probe(() => pingDatabase(deps.db), 'mysql probe'),
      probe(() => deps.redis.ping(), 'redis probe'),
    ]);
    failures.mysql = mysqlUp ? 0 : failures.mysql + 1;
    failures.redis = redisUp ? 0 : failures.redis + 1;
    const was = leadership;
    leadership = await lease.acquire({ redisUp, mysqlUp });
    if (!leadership) {
      // The new holder reminds about what fires; this process must not keep re-sending.
      const dropped = sender.drop();
      if (dropped > 0) logger.warn({ dropped }, 'alerts: lease lost; unsent alert messages dropped');
      return [];
    }
    await sender.retry();
    if (was !== leadership && redisUp) await offline.load();
    let store: AlertStore = offline;
    if (mysqlUp) {
      try {
        const recorded = await recordOffline(deps.db, offline);
        if (recorded > 0) logger.info({ recorded }, 'alerts: recorded in MySQL what fired while it was down');
        store = mysqlStore;
      } catch (error) {
        logger.warn({ err: error }, 'alerts: MySQL failed again; alerts kept offline');
      }
    }
    const open = await store.open();
    const outcomes: CheckOutcome[] = [checkDependencies({ env, instance, failures, open, now })];
    if (store === mysqlStore) {
      outcomes.push(...(await guarded('database', () => checkDatabase(deps, env, now))));
      if (redisUp) {
        outcomes.push(...(await guarded('workers', () => checkWorkers(deps, env, { now, open }))));
        outcomes.push(...(await guarded('queue', () => checkQueue(deps, env, now))));
      }
    }
    const events = await applyOutcomes({
      store,
      outcomes,
      now: new Date(now),
      remindMs: env.ALERT_REMIND_SECONDS * 1000,
    });
    await announce(events);
    return events;
  }

  async function safeRun(): Promise<AlertEvent[]> {
    try {
      const events = await runOnce();
      if (failing.delete('evaluator')) logger.info('alerts: evaluating again');
      return events;
    } catch (error) {
      if (!failing.has('evaluator')) logger.warn({ err: error }, 'alerts: check failed; will retry');
      failing.add('evaluator');
      return [];
    }
  }

  function tick(): void {
    if (running) return;
    running = safeRun().finally(() => {
      running = null;
    });
  }

  return {
    sender,
    start() {
      if (timer) return;
      // The first check after one interval: workers starting with the server have beaten by then.
      timer = setInterval(tick, env.ALERT_INTERVAL_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      await lease.release();
    },
    async runOnce() {
      // A direct run waits for the timer's, so that two never overlap.
      while (running) await running;
      const run = safeRun();
      running = run.finally(() => {
        running = null;
      });
      return run;
    },
  };
}
