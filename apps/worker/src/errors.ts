import { classifyError, type ErrorClassification, toErrorLike } from '@paidflow/contracts';

/** A non-2xx answer from a course source; carries the status for the classifier. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly url: string;
  constructor(status: number, url: string, message = `HTTP ${status} from ${url}`) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
    this.url = url;
  }
}

/**
 * A file whose bytes do not match the manifest (size or sha256). Code EINTEGRITY, which the
 * classifier counts as NETWORK: a corrupted transfer is worth another attempt.
 */
export class IntegrityError extends Error {
  readonly code = 'EINTEGRITY';
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}

/** A manifest that is not what the contract says; retrying the same source cannot fix it. */
export class ManifestError extends Error {
  readonly code = 'EMANIFEST';
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** The download received no byte for too long. */
export class IdleTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number, url: string) {
    super(`no data for ${ms} ms from ${url}`);
    this.name = 'TimeoutError';
  }
}

/** Why a job stopped early without being a failure: the task was cancelled, or the worker is shutting down. */
const STOP_MESSAGES = {
  cancelled: 'task cancelled',
  shutdown: 'worker shutting down',
  superseded: 'run superseded: the task has a newer run',
} as const;

/**
 * Why a job stopped before its end: its task was cancelled, the worker is shutting down, or the
 * run was superseded (fenced by the server: a newer run owns the task, decision 013).
 */
export class JobStopped extends Error {
  constructor(
    readonly reason: keyof typeof STOP_MESSAGES,
    detail?: string,
  ) {
    super(detail ? `${STOP_MESSAGES[reason]} (${detail})` : STOP_MESSAGES[reason]);
    this.name = 'JobStopped';
  }
}

/** The JobStopped behind an abort, when an abort signal carried one. */
export function stoppedReason(error: unknown, signal?: AbortSignal): JobStopped | null {
  if (error instanceof JobStopped) return error;
  if (signal?.aborted && signal.reason instanceof JobStopped) return signal.reason;
  return null;
}

/**
 * Classifies anything thrown, the contract's way. The one local exception: a manifest that does
 * not follow the contract is UNKNOWN but not retryable, since the same source answers the same.
 */
export function classify(error: unknown): ErrorClassification {
  if (error instanceof ManifestError) return { type: 'UNKNOWN', retryable: false, severity: 'error' };
  return classifyError(toErrorLike(error));
}

/** A one-line message for an error and its cause (fetch hides the useful part in the cause). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : null;
  const text =
    cause && cause.message !== error.message ? `${error.message}: ${cause.message}` : error.message;
  return text.slice(0, 2000);
}
