/**
 * A live message this process could not publish (Redis refused it: a cluster master failing
 * over, Redis down) is gone for every listener, and nothing else would tell them: the hub's
 * subscriber resynchronises only when its own connection drops, which it need not (on a cluster
 * it sits on another node). So each loss schedules one resync of the listeners, from MySQL and
 * whatever latest values Redis still has, `delayMs` later: the losses of one outage share it, and
 * a later loss schedules the next. The timer is unref'd: it never holds a stopping process.
 */
export function createLostAnnouncements(resync: () => void, delayMs = 1_000) {
  let timer: NodeJS.Timeout | null = null;
  return {
    lost(): void {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        resync();
      }, delayMs);
      timer.unref();
    },
  };
}
