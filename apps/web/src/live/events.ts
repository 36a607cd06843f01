import type { LiveEvent, LiveSnapshot, LiveUpdate } from '@paidflow/contracts';

/**
 * What a subscription yields, one message at a time: the server sends several updates as one
 * batch when they piled up for us. They are applied in order, as if they had come one by one.
 */
export function unbatch(event: LiveEvent): Array<LiveSnapshot | LiveUpdate> {
  return event.kind === 'batch' ? event.events : [event];
}
