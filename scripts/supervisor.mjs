// The process supervisor behind `npm start` and `npm run serve` (decision 049). It runs each child
// in a process group of its own, prefixes its output lines with its name, restarts a child that
// exits with exponential backoff, gives up on a child in a crash loop (the rest keeps running),
// and stops in dependency order: the lowest `stopOrder` first, each group waiting for the one
// before it to exit (SIGTERM, then SIGKILL past the group's timeout). It starts in the reverse
// order, each group once the one before is ready (a child's optional `ready()`).
import { spawn } from 'node:child_process';

/** A child that exits with this status was refused by its configuration: restarting cannot help. */
export const EXIT_CONFIG = 78;

/** Restart policy defaults: 5 restarts within 2 minutes, backoff 1 s doubling up to 30 s. */
export const RESTART_DEFAULTS = { maxRestarts: 5, windowMs: 120_000, backoffMs: 1_000, backoffMaxMs: 30_000 };

/**
 * The restart policy from the environment (SUPERVISOR_MAX_RESTARTS, SUPERVISOR_RESTART_WINDOW_MS,
 * SUPERVISOR_BACKOFF_MS, SUPERVISOR_BACKOFF_MAX_MS). A bad value is an error that names it.
 */
export function restartPolicyFromEnv(env = process.env) {
  const names = {
    maxRestarts: 'SUPERVISOR_MAX_RESTARTS',
    windowMs: 'SUPERVISOR_RESTART_WINDOW_MS',
    backoffMs: 'SUPERVISOR_BACKOFF_MS',
    backoffMaxMs: 'SUPERVISOR_BACKOFF_MAX_MS',
  };
  const policy = { ...RESTART_DEFAULTS };
  for (const [key, name] of Object.entries(names)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`${name} must be a whole number >= 0 (got "${raw}")`);
    }
    policy[key] = value;
  }
  return policy;
}

/** The delay before the next restart: backoff doubled for each restart already in the window. */
export function backoffDelay(policy, recentRestarts) {
  return Math.min(policy.backoffMaxMs, policy.backoffMs * 2 ** recentRestarts);
}

/**
 * Starts the children and supervises them.
 *
 * @param {object} options
 * @param {Array<{name: string, command: string, args?: string[], cwd?: string, env?: object,
 *   stopOrder: number, stopTimeoutMs: number, ready?: () => Promise<boolean>}>} options.children
 * @param {typeof RESTART_DEFAULTS} [options.policy]
 * @param {(message: string) => void} [options.log] the supervisor's own lines
 * @param {(name: string, line: string) => void} [options.output] each line a child prints
 * @param {(reason: string) => void} [options.onAllGone] every child has been given up on
 */
export function supervise(options) {
  const policy = { ...RESTART_DEFAULTS, ...options.policy };
  const log = options.log ?? ((message) => console.log(`[paidflow] ${message}`));
  const output = options.output ?? ((name, line) => console.log(`${name.padEnd(13)}| ${line}`));
  let stopping = null;

  const entries = options.children.map((spec) => {
    let markGone;
    // Resolves (false) when the child is given up on: a readiness wait ends there too.
    const gone = new Promise((resolve) => {
      markGone = () => resolve(false);
    });
    return { spec, child: null, restarts: [], timer: null, gaveUp: false, starts: 0, gone, markGone };
  });

  function launch(entry) {
    const { spec } = entry;
    entry.timer = null;
    entry.starts += 1;
    const child = spawn(spec.command, spec.args ?? [], {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a stop reaches its children too (tsx runs the app in one).
      detached: true,
    });
    entry.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) output(spec.name, line);
      });
      stream.on('end', () => {
        if (buffered) output(spec.name, buffered);
        buffered = '';
      });
    }
    child.on('error', (error) => {
      log(`!! ${spec.name} could not start: ${error.message}`);
      // Never started (no such command...): no exit event follows, so it counts as a crash here.
      if (child.pid !== undefined) return;
      if (entry.child === child) entry.child = null;
      if (!stopping) onCrash(entry, error.code ?? 'spawn error');
    });
    child.on('exit', (code, signal) => {
      if (entry.child === child) entry.child = null;
      if (stopping) return;
      if (code === EXIT_CONFIG) {
        giveUp(
          entry,
          `!! ${spec.name} refused its configuration (exit ${code}): not restarting it; fix its environment`,
        );
        return;
      }
      onCrash(entry, code === null ? `signal ${signal}` : `code ${code}`);
    });
  }

  function giveUp(entry, message) {
    entry.gaveUp = true;
    entry.markGone();
    log(message);
    if (entries.every((other) => other.gaveUp)) options.onAllGone?.('no process is left running');
  }

  function onCrash(entry, how) {
    const { spec } = entry;
    const now = Date.now();
    entry.restarts = entry.restarts.filter((at) => now - at < policy.windowMs);
    if (entry.restarts.length >= policy.maxRestarts) {
      const minutes = Math.round((policy.windowMs / 60_000) * 10) / 10;
      giveUp(
        entry,
        `!! ${spec.name} exited (${how}) after ${entry.restarts.length} restarts within ${minutes} min: ` +
          'a crash loop. Giving up on it: it stays stopped; the rest keeps running. Fix it and restart.',
      );
      return;
    }
    const delay = backoffDelay(policy, entry.restarts.length);
    entry.restarts.push(now);
    log(
      `!! ${spec.name} exited unexpectedly (${how}); restarting it in ${delay} ms ` +
        `(restart ${entry.restarts.length} of ${policy.maxRestarts} allowed within ${policy.windowMs / 1000} s)`,
    );
    entry.timer = setTimeout(() => launch(entry), delay);
  }

  function signal(entry, name) {
    const pid = entry.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, name);
    } catch {
      // already gone
    }
  }

  function exited(entry) {
    const { child } = entry;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => child.once('exit', resolve));
  }

  async function stopGroup(group) {
    const timeoutMs = Math.max(...group.map((entry) => entry.spec.stopTimeoutMs));
    const running = group.filter((entry) => entry.child);
    if (running.length === 0) return;
    log(`stopping ${running.map((entry) => entry.spec.name).join(', ')}`);
    for (const entry of running) signal(entry, 'SIGTERM');
    let timer;
    const done = Promise.all(running.map(exited)).then(() => true);
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const inTime = await Promise.race([done, late]);
    clearTimeout(timer);
    if (inTime) return;
    const left = running.filter((entry) => entry.child);
    log(`!! ${left.map((e) => e.spec.name).join(', ')} did not stop within ${timeoutMs} ms: killing`);
    for (const entry of left) signal(entry, 'SIGKILL');
    await Promise.all(left.map(exited));
  }

  /** Stops every child, group by group in `stopOrder`; resolves once all have exited. */
  function stop() {
    stopping ??= (async () => {
      for (const entry of entries) {
        clearTimeout(entry.timer);
        entry.timer = null;
      }
      const orders = [...new Set(entries.map((entry) => entry.spec.stopOrder))].sort((a, b) => a - b);
      for (const order of orders) {
        await stopGroup(entries.filter((entry) => entry.spec.stopOrder === order));
      }
      log('every process has stopped');
    })();
    return stopping;
  }

  /** SIGKILLs whatever still runs (the supervisor itself is exiting). */
  function killAll() {
    for (const entry of entries) signal(entry, 'SIGKILL');
  }

  /** Starts in the reverse of the stop order, each group once the one before is ready. */
  async function startAll() {
    const orders = [...new Set(entries.map((entry) => entry.spec.stopOrder))].sort((a, b) => b - a);
    for (const order of orders) {
      if (stopping) return;
      const group = entries.filter((entry) => entry.spec.stopOrder === order);
      for (const entry of group) launch(entry);
      const waiting = group.filter((entry) => entry.spec.ready);
      const ready = await Promise.all(waiting.map((entry) => Promise.race([entry.spec.ready(), entry.gone])));
      const late = waiting.filter((_, i) => !ready[i]).map((entry) => entry.spec.name);
      if (late.length > 0) log(`!! ${late.join(', ')} not ready yet; starting the rest anyway`);
    }
  }
  const started = startAll();

  return {
    /** Resolves once every group has been started (each after the one before was ready). */
    started,
    stop,
    killAll,
    /** Per child: how often it was started, whether it runs now, and whether it was given up on. */
    status() {
      return entries.map((entry) => ({
        name: entry.spec.name,
        starts: entry.starts,
        running: entry.child !== null,
        gaveUp: entry.gaveUp,
        pid: entry.child?.pid ?? null,
      }));
    },
  };
}

/**
 * Runs `supervise` as the foreground of this process: SIGINT, SIGTERM and SIGHUP (and losing the
 * parent that started us) stop it in order, a second signal kills everything at once, and the
 * process exits when the stop is done.
 */
export function superviseForeground(options) {
  let exitCode = 0;
  const supervisor = supervise({
    ...options,
    onAllGone(reason) {
      options.log?.(`!! ${reason}; stopping`);
      exitCode = 1;
      void supervisor.stop().then(() => process.exit(exitCode));
    },
  });
  // Ctrl-C reaches us twice (the terminal, and npm passing it on): a repeat within 2 s is the same.
  let firstSignalAt = 0;
  const onSignal = (name) => {
    const now = Date.now();
    if (firstSignalAt === 0) {
      firstSignalAt = now;
      (options.log ?? console.log)(`${name}: stopping in order (again, 2 s from now, kills at once)`);
      void supervisor.stop().then(() => process.exit(exitCode));
      return;
    }
    if (now - firstSignalAt < 2_000) return;
    (options.log ?? console.log)(`${name} again: killing every process now`);
    supervisor.killAll();
    process.exit(1);
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(name, () => onSignal(name));
  // If whoever started us is gone (npm killed without passing the signal on), stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void supervisor.stop().then(() => process.exit(exitCode));
  }, 1_000).unref();
  process.on('exit', () => supervisor.killAll());
  return supervisor;
}
