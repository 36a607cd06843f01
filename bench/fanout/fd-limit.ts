import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** This process's open-files limit (soft, hard) from /proc, or null off Linux. */
function openFilesLimit(pid: number): { soft: number; hard: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const [soft, hard] = (line?.match(/(\d+|unlimited)\s+(\d+|unlimited)/)?.slice(1) ?? []).map((v) =>
      v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v),
    );
    return soft !== undefined && hard !== undefined ? { soft, hard } : null;
  } catch {
    return null;
  }
}

/**
 * Makes room for `needed` open files in this process and the ones it forks afterwards (they
 * inherit it). Node already raises its soft limit to the hard one at startup, so this raises the
 * hard limit with prlimit(1), which needs privilege (root, or CAP_SYS_RESOURCE); otherwise it
 * says what to run. Every client socket is one descriptor in a client process and one in the server's.
 */
export function ensureOpenFiles(needed: number, log: (line: string) => void): void {
  const limit = openFilesLimit(process.pid);
  if (limit === null || limit.soft >= needed) return;
  const target = Math.max(needed, 65_536);
  const hard = Math.max(target, limit.hard);
  try {
    execFileSync(
      'prlimit',
      [
        '--pid',
        String(process.pid),
        `--nofile=${target}:${hard === Number.POSITIVE_INFINITY ? 'unlimited' : hard}`,
      ],
      {
        stdio: 'ignore',
      },
    );
  } catch {
    // prlimit missing or not allowed: fall through to the check below.
  }
  const after = openFilesLimit(process.pid)?.soft ?? limit.soft;
  if (after >= needed) log(`open files limit raised from ${limit.soft} to ${after}`);
  else
    log(
      `open files limit is ${after}, below the ${needed} this run needs: run \`ulimit -n ${needed}\` ` +
        `(hard limit ${limit.hard}; raise it in /etc/security/limits.conf) and start again`,
    );
}
