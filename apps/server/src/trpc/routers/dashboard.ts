import {
  DashboardStats,
  ErrorSummary,
  ErrorSummaryInput,
  TaskKpis,
  Throughput,
  ThroughputInput,
} from '@paidflow/contracts';
import { dashboardStats, errorSummary, taskKpis, taskThroughput } from '@paidflow/db';
import { router, viewerReadProcedure } from '../init.ts';

export const dashboardRouter = router({
  /** Counts of paid orders: all, processing, completed, partially completed, failed (exact: decision 060). */
  stats: viewerReadProcedure.output(DashboardStats).query(({ ctx }) => dashboardStats(ctx.db)),
  /** Tasks completed and failed per minute, for the overview's chart. */
  throughput: viewerReadProcedure
    .input(ThroughputInput)
    .output(Throughput)
    .query(({ ctx, input }) => taskThroughput(ctx.db, { minutes: input.minutes })),
  /** The design's KPIs for the last hour and the last day (targets in KPI_TARGETS). */
  kpis: viewerReadProcedure.output(TaskKpis).query(async ({ ctx }) => {
    const now = new Date();
    const [lastHour, lastDay] = await Promise.all([
      taskKpis(ctx.db, { hours: 1, now }),
      taskKpis(ctx.db, { hours: 24, now }),
    ]);
    return { lastHour, lastDay };
  }),
});

export const errorsRouter = router({
  /** The latest error and critical events across paid orders, and counts per error type. */
  summary: viewerReadProcedure
    .input(ErrorSummaryInput)
    .output(ErrorSummary)
    .query(({ ctx, input }) => errorSummary(ctx.db, input)),
});
