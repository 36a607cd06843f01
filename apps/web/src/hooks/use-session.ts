import type { AdminMe } from '@paidflow/contracts';
import { createContext, useContext } from 'react';

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
