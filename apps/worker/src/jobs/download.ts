import { rm } from 'node:fs/promises';
import { DownloadJobData, type PipelineStep } from '@paidflow/contracts';
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import { z } from 'zod';
import type { CancellationListener } from '../cancellation.ts';
import type { WorkerEnv } from '../env.ts';
import { classify, describeError, JobStopped, stoppedReason } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { WorkerMetrics } from '../metrics.ts';
import type { ProgressPublisher } from '../progress.ts';
import { ServerCallError, type ServerClient } from '../server-client.ts';
import type { StepContext } from '../steps/context.ts';
import { download, taskStorageDir } from '../steps/download.ts';
import { enroll } from '../steps/enroll.ts';
import { finalize } from '../steps/finalize.ts';
import { upload } from '../steps/upload.ts';

/**
 * A downloads job's payload: the contract's data, plus (optionally) the job id the server derived
 * from it. Without one, BullMQ's own job id is the job id (the drainer sets both alike).
 */
export const DownloadJobPayload = DownloadJobData.extend({ jobId: z.string().min(1).max(128).optional() });
export type DownloadJobPayload = z.infer<typeof DownloadJobPayload>;

export type DownloadJobResult =
  | { outcome: 'completed'; driveLink: string; files: number; bytes: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'cancelled' };

export interface DownloadJobDeps {
  env: WorkerEnv;
  logger: Logger;
  client: ServerClient;
  progress: ProgressPublisher;
  cancellation: CancellationListener;
  metrics: WorkerMetrics;
  /** The running jobs' abort controllers, so that shutdown can release them. */
  active: Map<string, AbortController>;
  /** Aborted when shutdown gives up waiting: reports in flight stop retrying. */
  shutdownSignal: AbortSignal;
}

/** How long a job waits for its cancellation subscription before it starts anyway. */
const WATCH_READY_MS = 2_000;

async function timed<T>(deps: DownloadJobDeps, step: PipelineStep, run: () => Promise<T>): Promise<T> {
  const stop = deps.metrics.stepDuration.startTimer({ step });
  try {
    return await run();
  } finally {
    stop();
  }
}

/**
 * The downloads job: claim -> enroll -> download -> upload -> finalize, each step a status change
 * the server records. Failures are classified: retryable ones are rethrown for BullMQ to retry
 * (with backoff), the rest fail at once (UnrecoverableError); every failed attempt is reported to
 * the server's error bridge first. A cancelled task ends the job quietly; on shutdown the job is
 * released to the queue without using an attempt.
 */
export function createDownloadProcessor(deps: DownloadJobDeps) {
  return async function processDownloadJob(job: Job, token?: string): Promise<DownloadJobResult> {
    const parsed = DownloadJobPayload.safeParse(job.data);
    if (!parsed.success) {
      deps.logger.error({ jobId: job.id, issues: parsed.error.issues }, 'invalid job data; failing the job');
      throw new UnrecoverableError(
        `invalid job data: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      );
    }
    const { taskId, orderId } = parsed.data;
    const jobId = parsed.data.jobId ?? job.id;
    if (!jobId) throw new UnrecoverableError('job without an id');
    const attempt = job.attemptsMade + 1;
    const logger = deps.logger.child({ taskId, orderId, jobId, attempt });
    const controller = new AbortController();
    const key = jobId;
    deps.active.set(key, controller);
    deps.metrics.jobsStarted.inc();
    const watch = deps.cancellation.watch(taskId, () => {
      logger.info('task cancelled; stopping its job');
      controller.abort(new JobStopped('cancelled'));
    });
    const ctx: StepContext = {
      env: deps.env,
      logger,
      client: deps.client,
      progress: deps.progress,
      taskId,
      orderId,
      jobId,
      signal: controller.signal,
      state: { step: 'enroll', file: null },
    };
    const startedAt = Date.now();
    const storageDir = taskStorageDir(deps.env.STORAGE_DIR, taskId);
    try {
      await Promise.race([
        watch.ready,
        new Promise((resolve) => setTimeout(resolve, WATCH_READY_MS).unref()),
      ]);
      const claim = await deps.client.claim({ taskId, jobId, attempt }, controller.signal);
      if (!claim.proceed) {
        logger.info({ reason: claim.reason }, 'server declined the job');
        return { outcome: 'skipped', reason: claim.reason };
      }
      logger.info('job started');
      const manifest = await timed(deps, 'enroll', () => enroll(ctx, claim.task.course_url));
      const downloaded = await timed(deps, 'download', () => download(ctx, manifest));
      const destination = await timed(deps, 'upload', () =>
        upload(ctx, {
          sourceDir: downloaded.dir,
          fileNames: manifest.files.map((file) => file.name),
          orderCode: claim.order.order_code,
          title: claim.task.title,
        }),
      );
      const driveLink = await timed(deps, 'finalize', () =>
        finalize(ctx, {
          destination,
          storageDir,
          files: downloaded.files,
          bytes: downloaded.bytes,
          startedAt,
        }),
      );
      deps.metrics.jobsCompleted.inc();
      logger.info({ driveLink, bytes: downloaded.bytes, ms: Date.now() - startedAt }, 'task completed');
      return { outcome: 'completed', driveLink, files: downloaded.files, bytes: downloaded.bytes };
    } catch (error) {
      const stopped = stoppedReason(error, controller.signal);
      if (stopped?.reason === 'cancelled') {
        await rm(storageDir, { recursive: true, force: true }).catch(() => {});
        logger.info({ step: ctx.state.step }, 'job ended: task cancelled');
        return { outcome: 'cancelled' };
      }
      // The server no longer knows the task (deleted meanwhile): nothing to report, drop the job.
      if (error instanceof ServerCallError && error.status === 404) {
        logger.warn({ err: error.message }, 'task gone on the server; dropping the job');
        return { outcome: 'skipped', reason: error.message };
      }
      if (stopped?.reason === 'shutdown') {
        // Back to the queue without using an attempt; another worker (or this one, restarted) resumes it.
        if (token) await job.moveToWait(token);
        logger.info({ step: ctx.state.step }, 'job released: worker shutting down');
        throw new WaitingError();
      }
      throw await reportFailure(deps, { job, ctx, error, logger, storageDir });
    } finally {
      watch.stop();
      deps.active.delete(key);
    }
  };
}

/**
 * The error bridge, worker side: classify, report the attempt to the server (retried until it
 * lands: the server records it once per jobId and attempt), and pick the error BullMQ sees.
 */
async function reportFailure(
  deps: DownloadJobDeps,
  input: { job: Job; ctx: StepContext; error: unknown; logger: Logger; storageDir: string },
): Promise<Error> {
  const { job, ctx, error, logger } = input;
  const classification = classify(error);
  const attempt = job.attemptsMade + 1;
  const maxAttempts = Math.max(1, job.opts.attempts ?? 1);
  const final = !classification.retryable || attempt >= maxAttempts;
  const message = describeError(error);
  deps.metrics.jobsFailed.inc({ error_type: classification.type });
  logger.warn(
    { step: ctx.state.step, file: ctx.state.file, type: classification.type, final, err: message },
    'attempt failed',
  );
  try {
    await deps.client.reportFailure(
      {
        taskId: ctx.taskId,
        jobId: ctx.jobId,
        attempt,
        maxAttempts,
        step: ctx.state.step,
        error: {
          type: classification.type,
          message,
          retryable: classification.retryable,
          file: ctx.state.file?.slice(0, 512) ?? null,
        },
        final,
        at: new Date().toISOString(),
      },
      deps.shutdownSignal,
    );
  } catch (reportError) {
    logger.error({ err: reportError }, 'failure report did not reach the server');
  }
  if (final) await rm(input.storageDir, { recursive: true, force: true }).catch(() => {});
  if (!classification.retryable) return new UnrecoverableError(`${classification.type}: ${message}`);
  return error instanceof Error ? error : new Error(message);
}
