import { TRPCClientError } from '@trpc/client';

/** The tRPC error code of a failed call (UNAUTHORIZED, FORBIDDEN...), when it has one. */
export function errorCode(error: unknown): string | null {
  if (!(error instanceof TRPCClientError)) return null;
  const data = error.data as { code?: unknown } | undefined;
  return typeof data?.code === 'string' ? data.code : null;
}

/** A message fit to show: the server's own for expected errors, a plain one otherwise. */
export function errorMessage(error: unknown): string {
  const code = errorCode(error);
  if (code === 'FORBIDDEN') return 'Your role does not allow this action.';
  if (code === 'UNAUTHORIZED') return 'Your session has ended: sign in again.';
  if (code === 'SERVICE_UNAVAILABLE') return 'A service the server needs is unavailable; try again shortly.';
  if (code === 'TOO_MANY_REQUESTS') return 'Too many attempts; wait a minute and try again.';
  if (error instanceof TRPCClientError) {
    if (code === 'INTERNAL_SERVER_ERROR') return 'The server failed to answer; try again.';
    if (!code) return 'The server cannot be reached.';
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
