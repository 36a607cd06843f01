import type { Context } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import { ParentBasedSampler, type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace';

/**
 * BullMQ's own housekeeping (a worker's blocking fetch every few seconds, the stalled-job check,
 * closing): each would start a trace of its own, all day long, about no payment. Names are
 * BullMQ's `<operation> <queue>`.
 */
const QUEUE_HOUSEKEEPING = new Set([
  'getNextJob',
  'moveStalledJobsToWait',
  'startStalledCheckTimer',
  'close',
  'pause',
  'resume',
  'rateLimit',
]);

const DROP = { decision: SamplingDecision.NOT_RECORD } as const;
const KEEP = { decision: SamplingDecision.RECORD_AND_SAMPLED } as const;

/** A root that is queue housekeeping is dropped; everything else follows its parent (roots: always). */
class QuietQueueRoots implements Sampler {
  shouldSample(parent: Context, _traceId: string, spanName: string) {
    const operation = spanName.split(' ', 1)[0] ?? '';
    return QUEUE_HOUSEKEEPING.has(operation) && !trace.getSpanContext(parent) ? DROP : KEEP;
  }

  toString(): string {
    return 'QuietQueueRoots';
  }
}

/** Parent-based: a sampled parent's children are recorded, an unsampled one's are not. */
export function quietQueueSampler(): Sampler {
  return new ParentBasedSampler({ root: new QuietQueueRoots() });
}
