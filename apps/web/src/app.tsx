import type { AdminMe } from '@paidflow/contracts';
import { type QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { useEffect, useMemo, useState } from 'react';
import { createSignedInClients, createSignedOutClient, type SignedInClients } from './api/clients.ts';
import { createQueryClient } from './api/query-client.ts';
import { Loading } from './components/feedback.tsx';
import { type Session, SessionContext } from './hooks/use-session.ts';
import { createConnectionMonitor } from './live/connection.ts';
import { createLiveStores, LiveProvider, type LiveStores } from './live/live-context.tsx';
import { SignInPage } from './pages/sign-in-page.tsx';
import { Shell } from './shell.tsx';
import { trpc } from './trpc.ts';

/** The session may have ended elsewhere (another tab signed out, or it expired): ask who we are now. */
function recheckSession(queryClient: QueryClient): void {
  void queryClient.invalidateQueries({ queryKey: getQueryKey(trpc.auth.me) });
}

interface LiveSession {
  clients: SignedInClients;
  stores: LiveStores;
}

/** The app's providers: one QueryClient for the page's life, a tRPC client per session. */
export function App() {
  const [queryClient] = useState(() => createQueryClient(() => recheckSession(queryClient)));
  const [signedOut] = useState(createSignedOutClient);
  const [live, setLive] = useState<LiveSession | null>(null);
  return (
    <trpc.Provider client={live?.clients.client ?? signedOut} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <SessionGate live={live} setLive={setLive} />
      </QueryClientProvider>
    </trpc.Provider>
  );
}

function SessionGate({
  live,
  setLive,
}: {
  live: LiveSession | null;
  setLive: (live: LiveSession | null) => void;
}) {
  const utils = trpc.useUtils();
  const queryClient = useQueryClient();
  const me = trpc.auth.me.useQuery(undefined, { staleTime: 60_000, refetchOnWindowFocus: true });
  const { mutateAsync: logout } = trpc.auth.logout.useMutation();
  const admin = me.data ?? null;
  const sessionKey = admin ? `${admin.id}:${admin.expiresAt}` : null;

  // The socket opens only once signed in (the server refuses it otherwise), and a new sign-in
  // opens a new one, carrying the new cookie.
  useEffect(() => {
    if (!sessionKey) return;
    const clients = createSignedInClients({ onSessionEnded: () => recheckSession(queryClient) });
    const connection = createConnectionMonitor({
      source: clients.wsClient.connectionState,
      // Back from a loss: refetch everything on screen so it shows the true current state.
      onReconnect: () => void queryClient.invalidateQueries(),
    });
    setLive({ clients, stores: createLiveStores(connection) });
    return () => {
      connection.dispose();
      void clients.wsClient.close();
      setLive(null);
    };
  }, [sessionKey, setLive, queryClient]);

  const session = useMemo<Session | null>(() => {
    if (!admin) return null;
    return {
      me: admin,
      canAct: admin.role === 'operator',
      async signOut() {
        try {
          await logout();
        } catch {
          // Signed out on the server already, or unreachable: either way forget the session here.
        }
        queryClient.clear();
        utils.auth.me.setData(undefined, null);
      },
    };
  }, [admin, logout, utils, queryClient]);

  if (me.isPending) return <Loading label="Checking your session…" />;
  if (!session) {
    return (
      <SignInPage
        onSignedIn={(signedIn: AdminMe) => utils.auth.me.setData(undefined, signedIn)}
        loadError={me.error}
      />
    );
  }
  if (!live) return <Loading label="Connecting…" />;
  return (
    <SessionContext.Provider value={session}>
      <LiveProvider stores={live.stores}>
        <Shell />
      </LiveProvider>
    </SessionContext.Provider>
  );
}
