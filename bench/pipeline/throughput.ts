import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CourseManifest } from '@paidflow/contracts';
import { downloadFiles } from '@paidflow/worker/testing';
import { Queue, Worker } from 'bullmq';

/**
 * Throughput of I/O-bound jobs: each job streams one throttled file from the course source to
 * disk with the worker's own download step (size and sha256 checked). Returns jobs per second.
 */
export async function ioThroughput(options: {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  jobs: number;
  file: CourseManifest['files'][number];
}): Promise<{ seconds: number; jobsPerSecond: number }> {
  const queueName = `bench-throughput-${options.concurrency}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'paidflow-bench-'));
  const queue = new Queue(queueName, { connection: { url: options.redisUrl }, prefix: options.prefix });
  await queue.addBulk(
    Array.from({ length: options.jobs }, (_, i) => ({
      name: 'io',
      data: { i },
      opts: { removeOnComplete: true },
    })),
  );
  let done = 0;
  let started = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
  });
  const worker = new Worker(
    queueName,
    async (job) => {
      if (started === 0) started = Date.now();
      const target = path.join(dir, String(job.id));
      await downloadFiles({
        files: [options.file],
        dir: target,
        signal: new AbortController().signal,
        idleTimeoutMs: 30_000,
      });
      await rm(target, { recursive: true, force: true });
    },
    {
      connection: { url: options.redisUrl, maxRetriesPerRequest: null },
      prefix: options.prefix,
      concurrency: options.concurrency,
    },
  );
  worker.on('completed', () => {
    done++;
    if (done === options.jobs) finished();
  });
  worker.on('failed', (_job, error) =>
    process.stderr.write(`[bench pipeline] job failed: ${error.message}\n`),
  );
  await allDone;
  const seconds = (Date.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  await rm(dir, { recursive: true, force: true });
  return { seconds, jobsPerSecond: options.jobs / seconds };
}
