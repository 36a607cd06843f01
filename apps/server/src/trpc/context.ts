import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { WebSocket } from 'ws';
import type { AdminSession } from '../auth/admin-session.ts';
import type { AppDeps } from '../deps.ts';
import { takeHttpCall } from '../limits/trpc.ts';

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

/**
 * The client's address: the socket's peer, or, behind the one trusted proxy (TRUST_PROXY), the
 * last hop of X-Forwarded-For: the address that proxy saw. Earlier hops are whatever the client
 * wrote, and would let it pick its own rate-limit key (a proxy that replaces the header, as
 * docs/deploy.md sets nginx and Caddy up, leaves one hop: the same).
 */
export function clientIpOf(req: IncomingMessage, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',');
    const last = hops[hops.length - 1]?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? null;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The worker's bearer token, when the request carries one of WORKER_TOKEN's (rotation): compared
 * in constant time against every one, without stopping at the first match.
 */
export function isWorkerRequest(headers: IncomingHttpHeaders, tokens: readonly string[]): boolean {
  const header = headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  const presented = header.slice('Bearer '.length);
  let matched = false;
  for (const token of tokens) matched = safeEqual(presented, token) || matched;
  return matched;
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
    const res = 'res' in opts ? opts.res : undefined;
    const clientIp = clientIpOf(opts.req, deps.env.TRUST_PROXY);
    // Over HTTP every call of a request counts (a batch of N costs N), before any MySQL read. A
    // WebSocket's calls are counted one by one in the procedures (init.ts), its upgrade in ws.ts.
    if (res && 'setHeader' in res) {
      await takeHttpCall(deps, { ip: clientIp, headers, calls: opts.info.calls.length });
    }
    const session = await resolveSession(deps, headers);
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
      clientIp,
      socket,
    });
  };
}
