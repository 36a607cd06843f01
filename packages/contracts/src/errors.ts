import { z } from 'zod';
import { ERROR_TYPES } from './constants.ts';

export const ErrorType = z.enum(ERROR_TYPES);
export type ErrorType = z.infer<typeof ErrorType>;

/** What the classifier reads from an error. Every field is optional: classify what you have. */
export interface ErrorLike {
  /** A Node/system error code (ENOSPC, ECONNRESET...) or an application code. */
  code?: string | number | null;
  message?: string | null;
  /** The HTTP status of a failed response, when the error came from one. */
  httpStatus?: number | null;
  /** The error's class name (AbortError, TimeoutError...). */
  name?: string | null;
}

export interface ErrorClassification {
  type: ErrorType;
  /** Whether another attempt can succeed without someone fixing something first. */
  retryable: boolean;
  /** Critical errors also alert an admin. */
  severity: 'error' | 'critical';
}

const RULES: Record<ErrorType, { retryable: boolean; severity: 'error' | 'critical' }> = {
  // The disk may be freed by the time of the next attempt, but someone must know now.
  DISK_SPACE: { retryable: true, severity: 'critical' },
  AUTHENTICATION: { retryable: false, severity: 'critical' },
  TIMEOUT: { retryable: true, severity: 'error' },
  NETWORK: { retryable: true, severity: 'error' },
  PERMISSION: { retryable: false, severity: 'error' },
  NOT_FOUND: { retryable: false, severity: 'error' },
  UNKNOWN: { retryable: true, severity: 'error' },
  // Another worker may well finish what a dead one could not; the attempt budget still bounds it.
  WORKER_LOST: { retryable: true, severity: 'error' },
};

const CODES: Record<string, ErrorType> = {
  ENOSPC: 'DISK_SPACE',
  EDQUOT: 'DISK_SPACE',
  EFBIG: 'DISK_SPACE',
  EACCES: 'PERMISSION',
  EPERM: 'PERMISSION',
  EROFS: 'PERMISSION',
  ENOENT: 'NOT_FOUND',
  ETIMEDOUT: 'TIMEOUT',
  ESOCKETTIMEDOUT: 'TIMEOUT',
  UND_ERR_CONNECT_TIMEOUT: 'TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'TIMEOUT',
  ECONNRESET: 'NETWORK',
  ECONNREFUSED: 'NETWORK',
  ECONNABORTED: 'NETWORK',
  EPIPE: 'NETWORK',
  ENOTFOUND: 'NETWORK',
  EAI_AGAIN: 'NETWORK',
  ENETUNREACH: 'NETWORK',
  EHOSTUNREACH: 'NETWORK',
  UND_ERR_SOCKET: 'NETWORK',
  ERR_STREAM_PREMATURE_CLOSE: 'NETWORK',
  EINTEGRITY: 'NETWORK',
};

const MESSAGE_RULES: Array<[RegExp, ErrorType]> = [
  [/no space left|disk (is )?full|quota exceeded|insufficient (disk|storage)/i, 'DISK_SPACE'],
  [
    /unauthori[sz]ed|authenticat|invalid credentials|login failed|invalid (api )?key|token expired/i,
    'AUTHENTICATION',
  ],
  [/permission denied|forbidden|access denied|not permitted|read-only file system/i, 'PERMISSION'],
  [/timed? ?out|timeout|deadline exceeded/i, 'TIMEOUT'],
  [/not found|no such file|does not exist/i, 'NOT_FOUND'],
  [/network|socket hang up|connection (reset|refused|closed)|fetch failed|premature close|econn/i, 'NETWORK'],
];

function fromHttpStatus(status: number): ErrorType | null {
  if (status === 401 || status === 407) return 'AUTHENTICATION';
  if (status === 403) return 'PERMISSION';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 507) return 'DISK_SPACE';
  if (status === 429 || status >= 500) return 'NETWORK';
  return null;
}

function classifyType(error: ErrorLike): ErrorType {
  if (typeof error.httpStatus === 'number') {
    const byStatus = fromHttpStatus(error.httpStatus);
    if (byStatus) return byStatus;
  }
  if (error.code !== undefined && error.code !== null) {
    const byCode = CODES[String(error.code).toUpperCase()];
    if (byCode) return byCode;
  }
  if (error.name === 'TimeoutError') return 'TIMEOUT';
  const message = error.message ?? '';
  for (const [pattern, type] of MESSAGE_RULES) {
    if (pattern.test(message)) return type;
  }
  return 'UNKNOWN';
}

/**
 * Sorts an error into one of the ERROR_TYPES and says whether retrying can help.
 * The HTTP status wins over the code, and the code over the message, because each is
 * more precise than the next.
 */
export function classifyError(error: ErrorLike): ErrorClassification {
  const type = classifyType(error);
  return { type, ...RULES[type] };
}

/** Reads the ErrorLike fields off anything that was thrown. */
export function toErrorLike(thrown: unknown): ErrorLike {
  if (thrown === null || typeof thrown !== 'object') return { message: String(thrown) };
  const record = thrown as Record<string, unknown>;
  const cause =
    record.cause && typeof record.cause === 'object' ? (record.cause as Record<string, unknown>) : {};
  const pick = (key: string) => record[key] ?? cause[key];
  // A non-numeric `status` ('error', 'failed') is common on SDK errors: look past it.
  const status = [record, cause]
    .flatMap((source) => [source.httpStatus, source.status, source.statusCode])
    .find((value) => typeof value === 'number');
  const code = pick('code');
  return {
    code: typeof code === 'string' || typeof code === 'number' ? code : null,
    message: typeof record.message === 'string' ? record.message : null,
    httpStatus: typeof status === 'number' ? status : null,
    name: typeof record.name === 'string' ? record.name : null,
  };
}
