import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import { type AppError, type AppErrorCode, toAppError } from '../errors.ts';
import { takeSocketCall, takeSubscription } from '../limits/trpc.ts';
import { withPlainJsonFastPath } from '../realtime/plain-json.ts';
import { markPrimaryWindow } from '../replicas/primary-window.ts';
import { readDbFor, retryOnPrimary } from '../replicas/routing.ts';
import type { Context } from './context.ts';

/** AppError codes as tRPC codes. */
const TRPC_CODE: Record<AppErrorCode, TRPCError['code']> = {
  INVALID_INPUT: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  UNPROCESSABLE: 'UNPROCESSABLE_CONTENT',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** An AppError as a TRPCError (subscriptions map errors they throw mid-stream with it). */
export function toTRPCError(error: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[error.code], message: error.message, cause: error });
}

const t = initTRPC.context<Context>().create({
  // superjson, with a fast path for live events (plain JSON; see realtime/plain-json.ts).
  transformer: withPlainJsonFastPath(superjson),
  errorFormatter({ shape, error }) {
    return {
      ...shape,
      data: {
        ...shape.data,
        // Field errors of bad input, so a client can show them; never a stack trace.
        zodError: error.cause instanceof ZodError ? error.cause.issues : null,
        stack: undefined,
      },
    };
  },
});

/**
 * A stream's error as a TRPCError (errors thrown mid-stream skip the procedure middlewares): what
 * toAppError names, mapped; anything else is rethrown as it is.
 */
export function streamError(error: unknown): unknown {
  const mapped = toAppError(error);
  return mapped ? toTRPCError(mapped) : error;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * What every procedure runs first, as one middleware: tRPC copies the call's options at every
 * level of the chain (decision 066), and these three steps were three levels.
 * - The admin's calls over a WebSocket are counted at call time (limits/trpc.ts): a subscription
 *   started against WS_SUBSCRIBE_RATE_LIMIT_PER_SESSION, a query or mutation against the
 *   session's tRPC budget. Nothing runs per message of a stream. Over HTTP (no socket) the calls
 *   were counted in createContext; the worker token's calls never are.
 * - Read-your-writes with replicas (decision 056): an admin's mutation, over HTTP or WebSocket,
 *   marks the session so its reads go to the primary for a while, on every server. Marked once
 *   the mutation has run, before the answer leaves: a reload after the answer sees the mark.
 * - The services' errors become tRPC codes (the one place that maps them, through toAppError),
 *   and the unexpected are logged.
 */
const guard = t.middleware(async function guard(opts) {
  const { principal } = opts.ctx;
  const session = principal?.kind === 'admin' ? principal.session : null;
  let result: Awaited<ReturnType<typeof opts.next>>;
  try {
    if (session && opts.type === 'subscription') await takeSubscription(opts.ctx, session.tokenHash);
    else if (session && opts.ctx.socket) await takeSocketCall(opts.ctx, session.tokenHash);
    // next() does not throw: tRPC hands a failure below as a result.
    result = await opts.next();
    if (session && opts.type === 'mutation') await markPrimaryWindow(opts.ctx, session.tokenHash);
  } catch (error) {
    // Thrown here, not below: tRPC passes a TRPCError on as it is, anything else as internal.
    const code = error instanceof TRPCError ? error.code : 'INTERNAL_SERVER_ERROR';
    onFailure(opts, error, { code, err: error });
    throw error;
  }
  if (!result.ok) onFailure(opts, result.error.cause, { code: result.error.code, err: result.error });
  return result;
});

/** A failed call: a service's error is thrown as its tRPC code; the unexpected are logged. */
function onFailure(
  opts: { ctx: Context; path: string },
  cause: unknown,
  failed: { code: TRPCError['code']; err: unknown },
): void {
  const appError = toAppError(cause);
  if (appError) throw toTRPCError(appError);
  if (failed.code === 'INTERNAL_SERVER_ERROR') {
    opts.ctx.logger.error({ err: failed.err, path: opts.path }, 'procedure failed');
  } else if (failed.code === 'BAD_REQUEST') {
    const message = failed.err instanceof Error ? failed.err.message : String(failed.err);
    opts.ctx.logger.info({ path: opts.path, message }, 'bad input rejected');
  }
}

export const publicProcedure = t.procedure.use(guard);

/** Any signed-in admin: viewer or operator. */
export const viewerProcedure = publicProcedure.use(function requireAdmin(opts) {
  const { principal } = opts.ctx;
  if (principal?.kind !== 'admin') throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' });
  // tRPC merges what next() is given into the context: only the new key is passed.
  return opts.next({ ctx: { admin: principal.session } });
});

/** An admin with the operator role: may act, not only watch. */
export const operatorProcedure = viewerProcedure.use(function requireOperator(opts) {
  if (opts.ctx.admin.role !== 'operator') {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'this action needs the operator role' });
  }
  return opts.next();
});

/** The worker service: authenticated by WORKER_TOKEN, and by nothing else. */
export const workerProcedure = publicProcedure.use(function requireWorker(opts) {
  if (opts.ctx.principal?.kind !== 'worker') {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'worker procedures need the worker token' });
  }
  return opts.next();
});

/**
 * A signed-in admin's read-only dashboard query (decision 056): `ctx.db` is the read handle (a
 * healthy replica, else the primary), or the primary while the session is in its primary window
 * after a write. A read the replica fails (it died between polls, or lacks a row the primary has)
 * is asked again of the primary, once. Only for queries that write nothing and need not see a
 * write of their own: mutations, the worker's calls and services keep `ctx.db`, the primary.
 */
export const viewerReadProcedure = viewerProcedure.use(async function routeReads(opts) {
  const db = await readDbFor(opts.ctx, opts.ctx.principal);
  if (db === opts.ctx.db) return opts.next();
  const result = await opts.next({ ctx: { db } });
  if (result.ok || !retryOnPrimary(result.error)) return result;
  // A replica that fails is looked at again now rather than at the next poll.
  void opts.ctx.reads.poll();
  return opts.next();
});
