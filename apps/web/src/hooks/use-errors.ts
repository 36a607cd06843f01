import { trpc } from '../trpc.ts';

/** Error and critical events across paid orders: counts per type over a window, and the latest. */
export function useErrorSummary(windowHours: number) {
  return trpc.errors.summary.useQuery({ windowHours, limit: 100 }, { refetchInterval: 30_000 });
}

/** Retries a selection of tasks (operator); the server skips those that are not failed any more. */
export function useRetryTasks() {
  const utils = trpc.useUtils();
  return trpc.tasks.retryMany.useMutation({
    onSettled: () => {
      void utils.errors.summary.invalidate();
      void utils.orders.list.invalidate();
    },
  });
}
