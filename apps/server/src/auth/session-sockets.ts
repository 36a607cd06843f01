import { SESSION_ENDED_CLOSE_CODE } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import type { WebSocket } from 'ws';
import type { AdminSession } from './admin-session.ts';

/**
 * This process's open WebSockets by the session that authenticated them, so that ending a
 * session closes them. Other processes hear of a sign-out through the hub's session revocations.
 */
export interface SessionSockets {
  /** Remembers a socket until it closes. */
  track(ws: WebSocket, session: AdminSession): void;
  /**
   * Closes the session's sockets in this process (after the current tick, so that a reply being
   * sent still goes first).
   */
  closeSession(tokenHash: string): void;
}

export function createSessionSockets(logger: Logger): SessionSockets {
  const bySession = new Map<string, Set<WebSocket>>();
  return {
    track(ws, session) {
      const sockets = bySession.get(session.tokenHash) ?? new Set<WebSocket>();
      bySession.set(session.tokenHash, sockets);
      sockets.add(ws);
      ws.once('close', () => {
        sockets.delete(ws);
        if (sockets.size === 0 && bySession.get(session.tokenHash) === sockets)
          bySession.delete(session.tokenHash);
      });
    },
    closeSession(tokenHash) {
      const sockets = bySession.get(tokenHash);
      if (!sockets) return;
      bySession.delete(tokenHash);
      setImmediate(() => {
        for (const ws of sockets) ws.close(SESSION_ENDED_CLOSE_CODE, 'signed out');
      });
      logger.info({ connections: sockets.size }, 'websockets of an ended session closed');
    },
  };
}
