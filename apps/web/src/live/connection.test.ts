import { expect, test, vi } from 'vitest';
import { type ConnectionStateSource, createConnectionMonitor } from './connection.ts';

type State = ReturnType<ConnectionStateSource['get']>;

/** A stand-in for wsClient.connectionState (a BehaviorSubject). */
function socketState(initial: State['state']) {
  let value: State = { state: initial, error: null };
  const observers = new Set<{ next: (value: State) => void }>();
  const source: ConnectionStateSource = {
    get: () => value,
    subscribe(observer) {
      observers.add(observer);
      return { unsubscribe: () => observers.delete(observer) };
    },
  };
  return {
    source,
    set(state: State['state'], error: unknown = null) {
      value = { state, error };
      for (const observer of observers) observer.next(value);
    },
  };
}

function setup(options: { online?: boolean } = {}) {
  let now = 0;
  const timers: Array<{ at: number; callback: () => void }> = [];
  let online = options.online ?? true;
  const browserListeners = new Set<() => void>();
  const socket = socketState('connecting');
  const onReconnect = vi.fn();
  const monitor = createConnectionMonitor({
    source: socket.source,
    onReconnect,
    offlineAfterMs: 10_000,
    now: () => now,
    timers: {
      set: (callback, ms) => {
        const timer = { at: now + ms, callback };
        timers.push(timer);
        return timer;
      },
      clear: (handle) => {
        const index = timers.indexOf(handle as (typeof timers)[number]);
        if (index >= 0) timers.splice(index, 1);
      },
    },
    browser: {
      isOnline: () => online,
      listen: (listener) => {
        browserListeners.add(listener);
        return () => browserListeners.delete(listener);
      },
    },
  });
  return {
    monitor,
    socket,
    onReconnect,
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1);
        timer.callback();
      }
    },
    goOffline() {
      online = false;
      for (const listener of browserListeners) listener();
    },
  };
}

test('connecting, then live once the socket is open', () => {
  const { monitor, socket } = setup();
  expect(monitor.getStatus()).toBe('connecting');
  socket.set('pending');
  expect(monitor.getStatus()).toBe('live');
});

test('a lost socket is reconnecting, then offline when it stays down', () => {
  const { monitor, socket, advance } = setup();
  socket.set('pending');
  socket.set('connecting', new Error('closed'));
  expect(monitor.getStatus()).toBe('reconnecting');
  advance(9_000);
  expect(monitor.getStatus()).toBe('reconnecting');
  advance(1_000);
  expect(monitor.getStatus()).toBe('offline');
});

test('coming back refetches once, and not on the first connection', () => {
  const { monitor, socket, onReconnect } = setup();
  socket.set('pending');
  expect(onReconnect).not.toHaveBeenCalled();
  socket.set('connecting', new Error('closed'));
  socket.set('connecting', new Error('still closed'));
  socket.set('pending');
  expect(monitor.getStatus()).toBe('live');
  expect(onReconnect).toHaveBeenCalledTimes(1);
});

test('the browser going offline says offline at once', () => {
  const { monitor, socket, goOffline } = setup();
  socket.set('pending');
  socket.set('connecting', new Error('closed'));
  goOffline();
  expect(monitor.getStatus()).toBe('offline');
});

test('a closed client (sign-out) is offline', () => {
  const { monitor, socket } = setup();
  socket.set('pending');
  socket.set('idle');
  expect(monitor.getStatus()).toBe('offline');
});

test('listeners hear each change once, and nothing after dispose', () => {
  const { monitor, socket } = setup();
  const listener = vi.fn();
  monitor.subscribe(listener);
  socket.set('pending');
  socket.set('pending');
  expect(listener).toHaveBeenCalledTimes(1);
  monitor.dispose();
  socket.set('connecting', new Error('closed'));
  expect(listener).toHaveBeenCalledTimes(1);
});
