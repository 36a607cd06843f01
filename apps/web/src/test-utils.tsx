// Helpers for component tests (never imported by the app).
import type { AdminMe } from '@paidflow/contracts';
import { type RenderResult, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { type Session, SessionContext } from './hooks/use-session.ts';
import type { ConnectionMonitor } from './live/connection.ts';
import { manualFrames } from './live/frame-scheduler.ts';
import { createLiveStores, LiveProvider, type LiveStores } from './live/live-context.tsx';

/** A connection monitor that stays where a test puts it. */
export function fixedConnection(
  status: ReturnType<ConnectionMonitor['getStatus']> = 'live',
): ConnectionMonitor {
  return { getStatus: () => status, subscribe: () => () => {}, dispose: () => {} };
}

export function sessionFor(role: AdminMe['role']): Session {
  return {
    me: { id: 1, email: `${role}@paidflow.local`, role, expiresAt: Date.now() + 3_600_000 },
    canAct: role === 'operator',
    signOut: async () => {},
  };
}

/**
 * Renders inside the providers the signed-in app has: a session with a role, and live stores
 * whose frames run only when the test calls `frames.runFrame()`.
 */
export function renderLive(
  ui: ReactElement,
  options: { role?: AdminMe['role'] } = {},
): RenderResult & { stores: LiveStores; frames: ReturnType<typeof manualFrames> } {
  const frames = manualFrames();
  const stores = createLiveStores(fixedConnection(), frames);
  const result = render(
    <SessionContext.Provider value={sessionFor(options.role ?? 'operator')}>
      <LiveProvider stores={stores}>{ui}</LiveProvider>
    </SessionContext.Provider>,
  );
  return { ...result, stores, frames };
}
