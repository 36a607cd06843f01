import { DownloadJobData, type PipelineStep, TASK_ERROR_STACK_MAX } from '@paidflow/contracts';
import { inSpan, type Logger } from '@paidflow/runtime';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { CancellationListener } from '../cancellation.ts';
import type { Destination } from '../destinations/index.ts';
import type { WorkerEnv } from '../env.ts';
import { classify, describeError, JobStopped, stoppedReason } from '../errors.ts';
import type { WorkerMetrics } from '../metrics.ts';
import type { ProgressPublisher } from '../progress.ts';
import { ServerCallError, type ServerClient } from '../server-client.ts';
import type { StepContext } from '../steps/context.ts';
import { download, removeRunDir, removeTaskScratch, runStorageDir } from '../steps/download.ts';
import { enroll } from '../steps/enroll.ts';
import { finalize } from '../steps/finalize.ts';
import { upload } from '../steps/upload.ts';
import { releasedOnStop, releaseJob } from './release.ts';

/**
 * A downloads job's payload: the contract's data, plus (optionally) the job id the server derived
 * from it. Without one, BullMQ's own job id is the job id (the drainer sets both alike).
 */
export const DownloadJobPayload = DownloadJobData.extend({ jobId: z.string().min(1).max(128).optional() });
export type DownloadJobPayload = z.infer<typeof DownloadJobPayload>;

export type DownloadJobResult =
  | { outcome: 'completed'; location: string; files: number; bytes: number }
  | { outcome: 'skipped'; reason: string }
  | { outcome: 'cancelled' }
  | { outcome: 'superseded'; reason: string };

/** A run this process holds: what shutdown aborts and what the heartbeat lists. */
export interface ActiveRun {
  controller: AbortController;
  taskId: number;
  jobId: string;
  /** Null until the claim is answered. */
  runToken: number | null;
}

export interface DownloadJobDeps {
  env: WorkerEnv;
  logger: Logger;
  client: ServerClient;
  progress: ProgressPublisher;
  /** Where the customer's files go (DELIVERY_DESTINATION). */
  destination: Destination;
  cancellation: CancellationListener;
  metrics: WorkerMetrics;
  /** The running jobs, by job id, so that shutdown can release them and the heartbeat list them. */
  active: Map<string, ActiveRun>;
  /** Aborted when shutdown gives up waiting: reports in flight stop retrying. */
  shutdownSignal: AbortSignal;
  /** Aborted when the worker begins to stop: a retryable failure then releases the job (release.ts). */
  stoppingSignal: AbortSignal;
}

/** How long a job waits for its cancellation subscription before it starts anyway. */
const WATCH_READY_MS = 2_000;

async function timed<T>(deps: DownloadJobDeps, step: PipelineStep, run: () => Promise<T>): Promise<T> {
  const stop = deps.metrics.stepDuration.startTimer({ step });
  try {
    return await inSpan(`step ${step}`, run);
  } finally {
    stop();
  }
}

/** A run's attempt numbers: after the attempts earlier jobs of the task used, out of the same budget. */
function attemptsOf(job: Job, attemptsBefore: number) {
  return {
    attempt: attemptsBefore + job.attemptsMade + 1,
    maxAttempts: attemptsBefore + Math.max(1, job.opts.attempts ?? 1),
  };
}

/** The steps of one claimed run, in order. */
async function runSteps(
  deps: DownloadJobDeps,
  ctx: StepContext,
  claim: { courseUrl: string; orderCode: string; title: string },
  startedAt: number,
): Promise<DownloadJobResult> {
  const manifest = await timed(deps, 'enroll', () => enroll(ctx, claim.courseUrl));
  const downloaded = await timed(deps, 'download', () => download(ctx, manifest));
  // The bar's last band (decision 048): 100 % once the files are delivered and verified.
  const delivering = ctx.progress.track({
    taskId: ctx.taskId,
    orderId: ctx.orderId,
    bytesTotal: downloaded.bytes,
    phase: 'upload',
  });
  delivering.update(0, null);
  let location: string;
  try {
    const delivered = await timed(deps, 'upload', () =>
      upload(ctx, {
        sourceDir: downloaded.dir,
        files: downloaded.verified,
        orderCode: claim.orderCode,
        title: claim.title,
      }),
    );
    location = await timed(deps, 'finalize', () =>
      finalize(ctx, {
        delivered,
        verified: downloaded.verified,
        bytes: downloaded.bytes,
        startedAt,
        progress: delivering,
      }),
    );
  } catch (error) {
    await delivering.close();
    throw error;
  }
  deps.metrics.jobsCompleted.inc();
  ctx.logger.info({ location, bytes: downloaded.bytes, ms: Date.now() - startedAt }, 'task completed');
  return { outcome: 'completed', location, files: downloaded.files, bytes: downloaded.bytes };
}

/**
 * The downloads job: claim -> enroll -> download -> upload -> finalize, each step a status change
 * the server records. The claim makes this run the task's current one and gives it a fencing
 * token; should the server refuse a later report (a newer run owns the task), or the
 * cancellation channel announce a newer run, the run stops at once, removes its own scratch
 * directory, and touches nothing else. Failures are classified: retryable ones are rethrown for
 * BullMQ to retry (with backoff), the rest fail at once (UnrecoverableError); every failed
 * attempt is reported to the server's error bridge first. A cancelled task ends the job quietly;
 * on shutdown the job is released to the queue without using an attempt.
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
    const { attempt, maxAttempts } = attemptsOf(job, parsed.data.attemptsBefore ?? 0);
    let logger = deps.logger.child({ taskId, orderId, jobId, attempt });
    const controller = new AbortController();
    const run: ActiveRun = { controller, taskId, jobId, runToken: null };
    deps.active.set(jobId, run);
    deps.metrics.jobsStarted.inc();
    const watch = deps.cancellation.watch(taskId, {
      onCancel() {
        logger.info('task cancelled; stopping its job');
        controller.abort(new JobStopped('cancelled'));
      },
      onRunToken(current) {
        if (run.runToken === null || current <= run.runToken) return;
        logger.warn({ runToken: run.runToken, current }, 'a newer run owns the task; stopping this one');
        controller.abort(new JobStopped('superseded', `task ${taskId} is at run ${current}`));
      },
    });
    let ctx: StepContext | null = null;
    const startedAt = Date.now();
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
      run.runToken = claim.runToken;
      logger = logger.child({ runToken: claim.runToken });
      ctx = {
        env: deps.env,
        logger,
        client: deps.client,
        progress: deps.progress,
        destination: deps.destination,
        taskId,
        orderId,
        jobId,
        runToken: claim.runToken,
        runDir: runStorageDir(deps.env.STORAGE_DIR, taskId, claim.runToken),
        signal: controller.signal,
        state: { step: 'enroll', file: null },
      };
      logger.info('job started');
      return await runSteps(
        deps,
        ctx,
        { courseUrl: claim.task.course_url, orderCode: claim.order.order_code, title: claim.task.title },
        startedAt,
      );
    } catch (error) {
      const stopped = stoppedReason(error, controller.signal);
      if (stopped?.reason === 'superseded') return superseded(deps, logger, stopped, ctx);
      if (stopped?.reason === 'cancelled') {
        if (ctx) await removeRunDir(ctx.runDir).catch(() => {});
        logger.info({ step: ctx?.state.step }, 'job ended: task cancelled');
        return { outcome: 'cancelled' };
      }
      // The server no longer knows the task (deleted meanwhile): nothing to report, drop the job.
      if (error instanceof ServerCallError && error.status === 404) {
        logger.warn({ err: error.message }, 'task gone on the server; dropping the job');
        return { outcome: 'skipped', reason: error.message };
      }
      if (releasedOnStop(error, stopped, deps.stoppingSignal)) {
        await releaseJob(job, token, logger, { step: ctx?.state.step, error, stopped });
      }
      if (!ctx) {
        // No run was claimed, so there is none to report: the queue retries the job.
        logger.warn({ err: describeError(error) }, 'could not claim the task; the queue retries the job');
        throw error;
      }
      const outcome = await reportFailure(deps, { ctx, error, logger, attempt, maxAttempts });
      if (outcome instanceof JobStopped) return superseded(deps, logger, outcome, ctx);
      throw outcome;
    } finally {
      watch.stop();
      // The same job may have been taken up again by this process (a stall): keep that run's entry.
      if (deps.active.get(jobId) === run) deps.active.delete(jobId);
    }
  };
}

/** A fenced run ends its job quietly: the task's current run does the work. */
async function superseded(
  deps: DownloadJobDeps,
  logger: Logger,
  stopped: JobStopped,
  ctx: StepContext | null,
): Promise<DownloadJobResult> {
  if (ctx) await removeRunDir(ctx.runDir).catch(() => {});
  deps.metrics.runsSuperseded.inc();
  logger.warn({ step: ctx?.state.step, reason: stopped.message }, 'job ended: run superseded');
  return { outcome: 'superseded', reason: stopped.message };
}

/**
 * The error bridge, worker side: classify, report the attempt to the server (retried until it
 * lands: the server records it once per jobId and attempt), and pick the error BullMQ sees. A
 * report the server refused (the run was superseded meanwhile) returns that JobStopped instead.
 */
async function reportFailure(
  deps: DownloadJobDeps,
  input: { ctx: StepContext; error: unknown; logger: Logger; attempt: number; maxAttempts: number },
): Promise<Error> {
  const { ctx, error, logger, attempt, maxAttempts } = input;
  const classification = classify(error);
  const final = !classification.retryable || attempt >= maxAttempts;
  const message = describeError(error);
  deps.metrics.jobsFailed.inc({ error_type: classification.type });
  logger.warn(
    { step: ctx.state.step, file: ctx.state.file, type: classification.type, final, err: message },
    'attempt failed',
  );
  let recorded = false;
  try {
    await deps.client.reportFailure(
      {
        taskId: ctx.taskId,
        jobId: ctx.jobId,
        runToken: ctx.runToken,
        attempt,
        maxAttempts,
        step: ctx.state.step,
        error: {
          type: classification.type,
          message,
          retryable: classification.retryable,
          file: ctx.state.file?.slice(0, 512) ?? null,
          ...(error instanceof Error && error.stack
            ? { stack: error.stack.slice(0, TASK_ERROR_STACK_MAX) }
            : {}),
        },
        final,
        at: new Date().toISOString(),
      },
      deps.shutdownSignal,
    );
    recorded = true;
  } catch (reportError) {
    if (reportError instanceof JobStopped && reportError.reason === 'superseded') return reportError;
    logger.error({ err: reportError }, 'failure report did not reach the server');
  }
  // A final failure the server recorded leaves nothing to resume: the task's scratch space goes.
  // Unrecorded, this run may no longer own the task, so only its own directory goes. Otherwise
  // the next attempt keeps what this one finished.
  if (final && recorded) {
    await removeTaskScratch(deps.env.STORAGE_DIR, ctx.taskId).catch(() => {});
  } else if (final) {
    await removeRunDir(ctx.runDir).catch(() => {});
  }
  if (!classification.retryable) return new UnrecoverableError(`${classification.type}: ${message}`);
  return error instanceof Error ? error : new Error(message);
}
