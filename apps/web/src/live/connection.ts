/** What the connection indicator says. */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** The part of tRPC's wsClient.connectionState we read (a BehaviorSubject). */
export interface ConnectionStateSource {
  get(): { state: 'idle' | 'connecting' | 'pending'; error: unknown };
  subscribe(observer: {
    next: (value: { state: 'idle' | 'connecting' | 'pending'; error: unknown }) => void;
  }): {
    unsubscribe(): void;
  };
}

export interface ConnectionMonitorOptions {
  source: ConnectionStateSource;
  /** Called when the socket is open again after a loss: refetch, so the screen shows the truth. */
  onReconnect: () => void;
  /** How long reconnecting may fail before the indicator says offline. */
  offlineAfterMs?: number;
  /** The browser's own view (navigator.onLine), and its online/offline events. */
  browser?: { isOnline(): boolean; listen(listener: () => void): () => void };
  timers?: { set(callback: () => void, ms: number): unknown; clear(handle: unknown): void };
  now?: () => number;
}

export interface ConnectionMonitor {
  getStatus(): ConnectionStatus;
  subscribe(listener: () => void): () => void;
  dispose(): void;
}

const browserOnline = {
  isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
  listen(listener: () => void) {
    if (typeof window === 'undefined') return () => {};
    window.addEventListener('online', listener);
    window.addEventListener('offline', listener);
    return () => {
      window.removeEventListener('online', listener);
      window.removeEventListener('offline', listener);
    };
  },
};

const realTimers = {
  set: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clear: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Turns the socket's state into live / reconnecting / offline, and reports each recovery so the
 * app can refetch. (Subscriptions resume by themselves: the wsClient resends them with the id of
 * the last event seen, and the server answers with a snapshot.)
 */
export function createConnectionMonitor(options: ConnectionMonitorOptions): ConnectionMonitor {
  const offlineAfterMs = options.offlineAfterMs ?? 10_000;
  const browser = options.browser ?? browserOnline;
  const timers = options.timers ?? realTimers;
  const now = options.now ?? Date.now;
  const listeners = new Set<() => void>();
  let status: ConnectionStatus = 'connecting';
  let everOpen = false;
  let lost = false;
  let failingSince: number | null = null;
  let timer: unknown = null;

  function set(next: ConnectionStatus) {
    if (next === status) return;
    status = next;
    for (const listener of [...listeners]) listener();
  }

  function clearTimer() {
    if (timer !== null) timers.clear(timer);
    timer = null;
  }

  function evaluate() {
    const { state } = options.source.get();
    if (state === 'pending') {
      failingSince = null;
      clearTimer();
      const recovered = lost;
      lost = false;
      everOpen = true;
      set('live');
      if (recovered) options.onReconnect();
      return;
    }
    if (everOpen) lost = true;
    if (state === 'idle') {
      clearTimer();
      set('offline');
      return;
    }
    failingSince ??= now();
    const failingFor = now() - failingSince;
    if (!browser.isOnline() || failingFor >= offlineAfterMs) {
      clearTimer();
      set('offline');
      return;
    }
    set(everOpen ? 'reconnecting' : 'connecting');
    if (timer === null) {
      timer = timers.set(() => {
        timer = null;
        evaluate();
      }, offlineAfterMs - failingFor);
    }
  }

  const subscription = options.source.subscribe({ next: () => evaluate() });
  const stopBrowser = browser.listen(() => evaluate());
  evaluate();

  return {
    getStatus: () => status,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    dispose() {
      subscription.unsubscribe();
      stopBrowser();
      clearTimer();
      listeners.clear();
    },
  };
}
