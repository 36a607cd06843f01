import { readdir, readFile } from 'node:fs/promises';

// CPU time per webhook of each process on the path (Linux /proc): on a shared 2-core machine the
// rates move with whatever else runs, the CPU each request costs much less so.

const TICKS_PER_SECOND = 100;

async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1000;
}

/** The MySQL server's pid when it runs on this machine (mariadbd or mysqld), else null. */
async function mysqlPid(): Promise<number | null> {
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === 'mariadbd' || comm.trim() === 'mysqld') return Number(entry);
  }
  return null;
}

export interface CpuPerUnit {
  server_ms: number;
  senders_ms: number;
  mysql_ms: number | null;
}

/** Starts counting CPU of the server under test, this process (the senders) and MySQL. */
export async function startCpuMeter(
  serverPid: number,
): Promise<{ stop(units: number): Promise<CpuPerUnit> }> {
  const dbPid = await mysqlPid();
  const read = async () => ({
    server: await cpuMsOf(serverPid),
    self: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    db: dbPid === null ? null : await cpuMsOf(dbPid).catch(() => null),
  });
  const start = await read();
  return {
    async stop(units) {
      const end = await read();
      const per = (a: number, b: number) => Math.round(((b - a) / Math.max(1, units)) * 100) / 100;
      return {
        server_ms: per(start.server, end.server),
        senders_ms: per(start.self, end.self),
        mysql_ms: start.db === null || end.db === null ? null : per(start.db, end.db),
      };
    },
  };
}
