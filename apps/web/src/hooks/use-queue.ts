import { keepPreviousData } from '@tanstack/react-query';
import { trpc } from '../trpc.ts';

export function useQueueOverview(cursor: string | undefined, limit: number) {
  return trpc.queue.overview.useQuery(
    { cursor, limit },
    { placeholderData: keepPreviousData, refetchInterval: 10_000 },
  );
}

/** Retry or remove dead letters, one or many (operator); each refetches the queue after. */
export function useDeadLetterActions() {
  const utils = trpc.useUtils();
  const onSettled = () => {
    void utils.queue.overview.invalidate();
    void utils.orders.list.invalidate();
  };
  return {
    retryJob: trpc.queue.retryJob.useMutation({ onSettled }),
    removeJob: trpc.queue.removeJob.useMutation({ onSettled }),
    retryJobs: trpc.queue.retryJobs.useMutation({ onSettled }),
    removeJobs: trpc.queue.removeJobs.useMutation({ onSettled }),
  };
}
