import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RESTART_CLOSE_CODE, SESSION_ENDED_CLOSE_CODE } from '@paidflow/contracts';
import type { AnyRouter } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AdminSession } from './auth/admin-session.ts';
import type { AppDeps } from './deps.ts';
import type { RateDecision } from './limits/limiter.ts';
import { allowedOrigins, checkOrigin } from './limits/origin.ts';
import type { SocketLease } from './limits/socket-leases.ts';
import type { RealtimeMetrics } from './realtime/metrics.ts';
import { clientIpOf, contextFactory, isWorkerRequest, type SessionResolver } from './trpc/context.ts';

/** The largest message a client may send over the WebSocket (subscriptions and calls are small). */
export const WS_MAX_PAYLOAD_BYTES = 64 * 1024;
/** Close code on shutdown ("service restart"): the client reconnects to another server. */

export interface WebSocketOptions {
  server: Server;
  deps: AppDeps;
  router: AnyRouter;
  resolveSession: SessionResolver;
  metrics: RealtimeMetrics;
  /**
   * Keep-alive: a connection silent this long is sent a PING, and terminated when no message
   * (the client's PONG) follows within the same time, at most 10 s.
   */
  pingMs?: number;
}

export interface LiveSocketServer {
  /** Tells every client to reconnect (to another server), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

function refuse(socket: Duplex, status: number, reason: string, retryAfterSeconds?: number): void {
  const retry = retryAfterSeconds === undefined ? '' : `Retry-After: ${retryAfterSeconds}\r\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\n${retry}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * tRPC over WebSocket on the HTTP server's own port, at /trpc. The upgrade is refused unless the
 * request carries a valid session cookie (or the worker token): an anonymous client never gets a
 * socket. The connection's context is then built from the same upgrade request (with the session
 * already read for the upgrade), so a WebSocket is authenticated by the same cookie as HTTP, and
 * it is closed when that session expires.
 */
export function attachWebSocketServer(options: WebSocketOptions): LiveSocketServer {
  const { server, deps, metrics } = options;
  const pingMs = options.pingMs ?? 30_000;
  // No permessage-deflate (ws's default for a server, said here so that it stays so): its zlib
  // context costs tens of KB per socket, and live events are small.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD_BYTES,
    perMessageDeflate: false,
  });
  /**
   * The session each admin upgrade was authenticated with, by its request's headers: the adapter
   * builds the connection's context from that same request, so the session is not read twice.
   */
  const upgraded = new WeakMap<IncomingHttpHeaders, AdminSession>();
  const createContext = contextFactory(
    deps,
    async (d, headers) => upgraded.get(headers) ?? options.resolveSession(d, headers),
  );
  const handler = applyWSSHandler({
    wss,
    router: options.router,
    createContext,
    keepAlive: { enabled: true, pingMs, pongWaitMs: Math.min(pingMs, 10_000) },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        deps.logger.error({ err: error, path }, 'websocket call failed');
    },
  });
  let closing = false;
  // The allowed origins are computed once, not per upgrade; again only if PUBLIC_BASE_URL changes
  // (a server on a port the system picked learns its own address after listening).
  let origins = { base: deps.env.PUBLIC_BASE_URL, allowed: allowedOrigins(deps.env) };
  const allowedNow = () => {
    if (origins.base !== deps.env.PUBLIC_BASE_URL)
      origins = { base: deps.env.PUBLIC_BASE_URL, allowed: allowedOrigins(deps.env) };
    return origins.allowed;
  };
  const { track, closeSession } = deps.sessionSockets;
  const stopRevocations = deps.realtime.hub.onSessionRevoked(closeSession);

  /**
   * The upgrade's principal, or the refusal to answer: the worker token is let in unlimited; any
   * other client is counted per address (WS_CONNECT_RATE_LIMIT_PER_IP) before MySQL is read.
   */
  async function authenticate(req: IncomingMessage): Promise<AdminSession | 'worker' | null | RateDecision> {
    if (isWorkerRequest(req.headers, deps.env.WORKER_TOKEN)) return 'worker';
    const attempt = await deps.limits.wsConnectIp.take(clientIpOf(req, deps.env.TRUST_PROXY) ?? 'unknown');
    if (!attempt.allowed) return attempt;
    return options.resolveSession(deps, req.headers);
  }

  /** A refusal for being over a limit: 429 with Retry-After, before the upgrade. */
  function limited(socket: Duplex, decision: RateDecision): boolean {
    if (decision.allowed) return false;
    metrics.rejectedUpgrades.inc({ reason: 'rate_limited' });
    refuse(socket, 429, 'Too Many Requests', decision.retryAfterSeconds);
    return true;
  }

  function expireWith(ws: WebSocket, session: AdminSession): void {
    const timer = setTimeout(
      () => ws.close(SESSION_ENDED_CLOSE_CODE, 'session expired'),
      Math.max(0, session.expiresAt.getTime() - Date.now()),
    );
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', (error) => deps.logger.debug({ err: error }, 'upgrade socket error'));
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path !== '/trpc' && !path.startsWith('/trpc/')) {
      metrics.rejectedUpgrades.inc({ reason: 'path' });
      return refuse(socket, 404, 'Not Found');
    }
    if (closing) return refuse(socket, 503, 'Service Unavailable');
    if (checkOrigin(req.headers, allowedNow()) === 'refused') {
      metrics.rejectedUpgrades.inc({ reason: 'origin' });
      deps.logger.warn({ origin: req.headers.origin }, 'websocket upgrade refused: origin not allowed');
      return refuse(socket, 403, 'Forbidden');
    }
    let principal: Awaited<ReturnType<typeof authenticate>>;
    try {
      principal = await authenticate(req);
    } catch (error) {
      metrics.rejectedUpgrades.inc({ reason: 'unavailable' });
      deps.logger.warn({ err: error }, 'websocket upgrade refused: sessions unavailable');
      return refuse(socket, 503, 'Service Unavailable');
    }
    if (!principal) {
      metrics.rejectedUpgrades.inc({ reason: 'unauthenticated' });
      deps.logger.info('websocket upgrade refused: no valid session');
      return refuse(socket, 401, 'Unauthorized');
    }
    if (principal !== 'worker' && 'allowed' in principal) return void limited(socket, principal);
    let lease: SocketLease | null = null;
    if (principal !== 'worker') {
      const taken = await deps.limits.wsSockets.acquire(principal.tokenHash);
      if (limited(socket, taken.decision)) return;
      lease = taken.lease;
    }
    if (lease) {
      // The slot is the TCP connection's: given back when it ends, upgraded or not.
      if (socket.destroyed) return lease.release();
      socket.once('close', lease.release);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      metrics.connections.inc();
      ws.once('close', () => metrics.connections.dec());
      if (principal !== 'worker') {
        upgraded.set(req.headers, principal);
        expireWith(ws, principal);
        track(ws, principal);
      }
      wss.emit('connection', ws, req);
    });
  }

  function onServerUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    onUpgrade(req, socket, head).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'websocket upgrade failed');
      socket.destroy();
    });
  }
  server.on('upgrade', onServerUpgrade);

  async function close(graceMs = 1_000): Promise<void> {
    closing = true;
    stopRevocations();
    server.off('upgrade', onServerUpgrade);
    handler.broadcastReconnectNotification();
    // Clients reconnect on the notification; give them a moment, then close who is left.
    const deadline = Date.now() + graceMs;
    while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const client of wss.clients) client.close(RESTART_CLOSE_CODE, 'server restarting');
    await new Promise((r) => setTimeout(r, 50));
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  return { close };
}
