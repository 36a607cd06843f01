import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { WebSocket } from 'ws';
import type { AdminSession } from '../auth/admin-session.ts';
import type { AppDeps } from '../deps.ts';

export type { AdminSession };

export type Principal = { kind: 'admin'; session: AdminSession } | { kind: 'worker' };

export interface Context extends AppDeps {
  principal: Principal | null;
  /** The response, over HTTP only: lets auth procedures set the session cookie. */
  setCookie?: (cookie: string) => void;
  /** The client's address (for the sign-in rate limit); null when unknown. */
  clientIp?: string | null;
  /** The WebSocket, over WebSocket only: subscriptions watch its buffer and close it when it lags. */
  socket?: WebSocket;
}

/** Builds a context from plain parts: what tests call. */
export async function createContextInner(
  deps: AppDeps,
  extra: {
    principal?: Principal | null;
    setCookie?: (cookie: string) => void;
    clientIp?: string | null;
    socket?: WebSocket;
  } = {},
): Promise<Context> {
  return {
    ...deps,
    principal: extra.principal ?? null,
    setCookie: extra.setCookie,
    clientIp: extra.clientIp ?? null,
    socket: extra.socket,
  };
}

/** The client's address: the socket's peer, or X-Forwarded-For's first hop behind a trusted proxy. */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? null;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The worker's bearer token, when the request carries the right one. */
export function isWorkerRequest(headers: IncomingHttpHeaders, token: string): boolean {
  const header = headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  return safeEqual(header.slice('Bearer '.length), token);
}

export type SessionResolver = (deps: AppDeps, headers: IncomingHttpHeaders) => Promise<AdminSession | null>;

/** Adapts an HTTP request or a WebSocket connection to a context. */
export function contextFactory(deps: AppDeps, resolveSession: SessionResolver) {
  return async function createContext(
    opts: CreateHTTPContextOptions | CreateWSSContextFnOptions,
  ): Promise<Context> {
    const headers = opts.req.headers;
    if (isWorkerRequest(headers, deps.env.WORKER_TOKEN)) {
      return createContextInner(deps, { principal: { kind: 'worker' } });
    }
    const session = await resolveSession(deps, headers);
    const res = 'res' in opts ? opts.res : undefined;
    const setCookie =
      res && 'setHeader' in res
        ? (cookie: string) => {
            const previous = res.getHeader('set-cookie');
            const list = Array.isArray(previous) ? previous : previous ? [String(previous)] : [];
            res.setHeader('set-cookie', [...list, cookie]);
          }
        : undefined;
    const socket = res && !('setHeader' in res) ? res : undefined;
    return createContextInner(deps, {
      principal: session ? { kind: 'admin', session } : null,
      setCookie,
      clientIp: clientIpOf(opts.req, deps.env.TRUST_PROXY),
      socket,
    });
  };
}
