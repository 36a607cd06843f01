import { RESYNC } from './hub.ts';

/** Pending events one subscriber may hold; past it they collapse into one resync. */
const MAX_PENDING = 100;

/**
 * A live stream whose clients only refetch on its events (payments.live, alerts.live): `ready`
 * first (a client fetches what it shows), then each event the hub hears. A subscriber that falls
 * behind loses nothing by getting one `resync` instead of what piled up, and a hub reconnect
 * (events may have been missed) is a `resync` too.
 */
export async function* refetchStream<Item, Event>(options: {
  listen(listener: (item: Item | typeof RESYNC) => void): () => void;
  toEvent(item: Item): Event;
  signal: AbortSignal | undefined;
  limit?: number;
}): AsyncGenerator<Event | { kind: 'ready' } | { kind: 'resync' }> {
  const { signal } = options;
  const limit = options.limit ?? MAX_PENDING;
  const pending: Array<Event | { kind: 'resync' }> = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const unsubscribe = options.listen((item) => {
    if (item === RESYNC || pending.length >= limit) pending.splice(0, pending.length, { kind: 'resync' });
    else pending.push(options.toEvent(item));
    notify();
  });
  signal?.addEventListener('abort', notify);
  try {
    yield { kind: 'ready' };
    while (!signal?.aborted) {
      const next = pending.shift();
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener('abort', notify);
  }
}
