import { readFileSync } from 'node:fs';

/** A process's resident set size in bytes, read from /proc (Linux), or null elsewhere. */
export function rssOf(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds, from /proc; null elsewhere. */
export function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * Write system calls a process has made so far (write and writev: `syscw` in /proc/PID/io), or
 * null elsewhere. A socket write costs the same on every peer, so this counts what a message
 * costs in kernel crossings: one frame to each client, and each command to Redis.
 */
export function writeCallsOf(pid: number): number | null {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const calls = /^syscw:\s+(\d+)$/m.exec(io)?.[1];
    return calls ? Number(calls) : null;
  } catch {
    return null;
  }
}
