import type { AdminMe } from '@paidflow/contracts';
import { createContext, useContext } from 'react';
import { errorCode } from '../api/errors.ts';
import { trpc } from '../trpc.ts';

export interface Session {
  me: AdminMe;
  /** Operators may act (retry, cancel, remove); viewers only watch. */
  canAct: boolean;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in admin. Only used inside the signed-in shell. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the signed-in app');
  return session;
}

/**
 * A subscription's onError: refused as UNAUTHORIZED means the session ended (signed out in another
 * tab, or expired), so ask the server who we are now; the app signs out if nobody.
 */
export function useSessionErrorHandler(): (error: unknown) => void {
  const utils = trpc.useUtils();
  return (error) => {
    if (errorCode(error) === 'UNAUTHORIZED') void utils.auth.me.invalidate();
  };
}
