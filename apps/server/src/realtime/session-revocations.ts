import { SessionRevoked } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { parseControlMessage } from './control-message.ts';

/**
 * The session-revocation bus, fed by the hub's subscriber connection: a sign-out on any server
 * process is announced on SESSION_REVOKED_CHANNEL, and every process closes that session's
 * sockets. A message that does not parse is reported through `onMalformed` and dropped.
 */
export function createSessionRevocations(options: {
  logger: Logger;
  onMalformed: (reason: 'bad_json' | 'bad_payload', raw: string) => void;
}) {
  const listeners = new Set<(tokenHash: string) => void>();
  return {
    /** One message heard on the revocation channel. */
    handle(raw: string): void {
      const parsed = parseControlMessage(SessionRevoked, raw, options.onMalformed);
      if (!parsed) return;
      for (const listener of listeners) {
        try {
          listener(parsed.tokenHash);
        } catch (error) {
          options.logger.error({ err: error }, 'session revocation listener failed');
        }
      }
    },
    /** Calls `listener` with the token hash of every session revoked anywhere; returns the unsubscribe. */
    on(listener: (tokenHash: string) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Forgets every listener (the hub stops). */
    clear(): void {
      listeners.clear();
    },
  };
}
