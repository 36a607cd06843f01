import type {
  WorkerAck,
  WorkerClaimInput,
  WorkerClaimResult,
  WorkerCompleteInput,
  WorkerFailureInput,
  WorkerTransitionInput,
  WorkerTransitionResult,
} from '@paidflow/contracts';
import { WORKER_RUN_SUPERSEDED_STATUS } from '@paidflow/contracts';
import { injectTraceHeaders, inSpan, jitteredBackoffMs, type Logger, SpanKind } from '@paidflow/runtime';
import type { AppRouter } from '@paidflow/server';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { JobStopped } from './errors.ts';

/**
 * The worker procedures, as the pipeline sees them. Every call is idempotent on the server. A
 * report refused because its run was superseded rejects with JobStopped('superseded').
 */
export interface ServerClient {
  claim(input: WorkerClaimInput, signal?: AbortSignal): Promise<WorkerClaimResult>;
  transition(input: WorkerTransitionInput, signal?: AbortSignal): Promise<WorkerTransitionResult>;
  reportFailure(input: WorkerFailureInput, signal?: AbortSignal): Promise<WorkerAck>;
  complete(input: WorkerCompleteInput, signal?: AbortSignal): Promise<WorkerAck>;
}

/** A call the server refused or could not answer; carries the HTTP status for the classifier. */
export class ServerCallError extends Error {
  readonly status: number | null;
  readonly procedure: string;
  constructor(procedure: string, status: number | null, message: string, options?: { cause?: unknown }) {
    super(`worker.${procedure}: ${message}`, options);
    this.name = 'ServerCallError';
    this.status = status;
    this.procedure = procedure;
  }
}

export interface ServerClientOptions {
  serverUrl: string;
  token: string;
  logger: Logger;
  /** How long a call is retried while the server is unreachable or answers 502/503/504. */
  deadlineMs: number;
  /** One HTTP attempt's own limit. */
  requestTimeoutMs?: number;
  /** This worker's WORKER_ID, sent with every report (the audit names the worker of each attempt). */
  workerId?: string;
}

const TRANSIENT_STATUS = new Set([408, 429, 502, 503, 504]);

function statusOf(error: unknown): number | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as { httpStatus?: unknown } | undefined;
  if (typeof data?.httpStatus === 'number') return data.httpStatus;
  const meta = error.meta as { response?: { status?: unknown } } | undefined;
  return typeof meta?.response?.status === 'number' ? meta.response.status : null;
}

/** Unreachable (no answer at all) or overloaded: worth trying again, the calls being idempotent. */
function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === null) return true;
  return TRANSIENT_STATUS.has(status);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The typed tRPC client of the server's worker procedures (`import type` of AppRouter: no server
 * code in the worker), authenticated with WORKER_TOKEN. A call the server could not take is
 * retried with capped exponential backoff and jitter until it lands or the deadline passes.
 */
export function createServerClient(options: ServerClientOptions): ServerClient {
  const trpc = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${options.serverUrl.replace(/\/$/, '')}/trpc`,
        transformer: superjson,
        // The active span (the call's own: see `call`) rides along; the server continues it.
        headers: () => injectTraceHeaders({ authorization: `Bearer ${options.token}` }),
      }),
    ],
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const who = options.workerId ? { workerId: options.workerId.slice(0, 100) } : {};

  /** One report, retries included, is one CLIENT span (tracing on): `worker.<procedure>`. */
  function call<T>(procedure: string, run: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal) {
    return inSpan(`worker.${procedure}`, () => callWithRetries(procedure, run, signal), {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system': 'trpc', 'rpc.method': `worker.${procedure}` },
    });
  }

  async function callWithRetries<T>(
    procedure: string,
    run: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const deadline = Date.now() + options.deadlineMs;
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(requestTimeoutMs);
      const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
      try {
        return await run(combined);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const status = statusOf(error);
        const message = error instanceof Error ? error.message : String(error);
        // The server fenced this run: no retry can change that, and the run must stop.
        if (status === WORKER_RUN_SUPERSEDED_STATUS) throw new JobStopped('superseded', message);
        if (!isTransient(error) || Date.now() >= deadline) {
          throw new ServerCallError(procedure, status, message, { cause: error });
        }
        const delay = jitteredBackoffMs(attempt, 200, 5_000);
        options.logger.warn({ procedure, attempt, status, err: message }, 'server call failed; retrying');
        await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      }
    }
  }

  return {
    claim: (input, signal) =>
      call('claim', (s) => trpc.worker.claim.mutate({ ...input, ...who }, { signal: s }), signal),
    transition: (input, signal) =>
      call('transition', (s) => trpc.worker.transition.mutate({ ...input, ...who }, { signal: s }), signal),
    reportFailure: (input, signal) =>
      call(
        'reportFailure',
        (s) => trpc.worker.reportFailure.mutate({ ...input, ...who }, { signal: s }),
        signal,
      ),
    complete: (input, signal) =>
      call('complete', (s) => trpc.worker.complete.mutate({ ...input, ...who }, { signal: s }), signal),
  };
}
