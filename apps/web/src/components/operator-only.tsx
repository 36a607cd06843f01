import type { ReactNode } from 'react';
import { useSession } from '../hooks/use-session.ts';

/**
 * Renders its children for operators only. Viewers are not shown actions they may not take; the
 * server refuses those actions to them anyway.
 */
export function OperatorOnly({ children }: { children: ReactNode }) {
  const { canAct } = useSession();
  return canAct ? children : null;
}
