import { randomUUID } from 'node:crypto';
import { LiveResync } from '@paidflow/contracts';
import type { Logger } from '@paidflow/runtime';
import { parseControlMessage } from './control-message.ts';

/** How many times in a row a process tries to announce a loss before it gives up (about 30 s). */
const MAX_ANNOUNCE_ATTEMPTS = 30;

export interface LostAnnouncementsOptions {
  /** Resynchronises this process's listeners (from MySQL and the latest values Redis still has). */
  resync: () => void;
  /** Publishes on Redis (the server's command connection); absent: this process only. */
  publish?: (channel: string, message: string) => Promise<unknown>;
  /** LIVE_RESYNC_CHANNEL in this install's namespace. */
  channel: string;
  /** This hub's id (default: a random one): its own announcement, heard back, is ignored. */
  self?: string;
  logger: Logger;
  onMalformed: (reason: 'bad_json' | 'bad_payload', raw: string) => void;
  delayMs?: number;
}

/**
 * A live message this process could not publish (Redis refused it: a cluster master failing
 * over, Redis down) is gone for every listener of every server, and nothing else would tell them:
 * a hub's subscriber resynchronises only when its own connection drops, which it need not (on a
 * cluster it sits on another node). So each loss schedules, `delayMs` later, one resync of this
 * process's listeners and an announcement on LIVE_RESYNC_CHANNEL, which every other process
 * answers with a resync of its own. The losses of one outage share it; an announcement Redis
 * refuses too is tried again, a resync each time. Timers are unref'd: they never hold a stop.
 */
export function createLostAnnouncements(options: LostAnnouncementsOptions) {
  const delayMs = options.delayMs ?? 1_000;
  const self = options.self ?? randomUUID();
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;

  function fire(): void {
    timer = null;
    options.resync();
    if (!options.publish) return;
    options
      .publish(options.channel, JSON.stringify({ from: self } satisfies LiveResync))
      .then(() => {
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        if (failures === 1) options.logger.warn({ err: error }, 'live resync not announced; trying again');
        if (failures < MAX_ANNOUNCE_ATTEMPTS) schedule();
        else {
          options.logger.error(
            { err: error },
            'live resync not announced; other servers resync on their own reconnect',
          );
          failures = 0;
        }
      });
  }

  function schedule(): void {
    if (timer) return;
    timer = setTimeout(fire, delayMs);
    timer.unref();
  }

  return {
    /** A live message of this process was not published. */
    lost: schedule,
    /** One message heard on LIVE_RESYNC_CHANNEL. */
    handle(raw: string): void {
      const message = parseControlMessage(LiveResync, raw, options.onMalformed);
      if (message && message.from !== self) options.resync();
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
