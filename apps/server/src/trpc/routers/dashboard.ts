import {
  DashboardStats,
  ErrorSummary,
  ErrorSummaryInput,
  Throughput,
  ThroughputInput,
} from '@paidflow/contracts';
import { errorSummary, taskThroughput } from '@paidflow/db';
import { cachedDashboardStats } from '../../services/stats-cache.ts';
import { router, viewerProcedure } from '../init.ts';

export const dashboardRouter = router({
  /** Counts of paid orders: all, processing, completed, failed. */
  stats: viewerProcedure.output(DashboardStats).query(({ ctx }) => cachedDashboardStats(ctx.db)),
  /** Tasks completed and failed per minute, for the overview's chart. */
  throughput: viewerProcedure
    .input(ThroughputInput)
    .output(Throughput)
    .query(({ ctx, input }) => taskThroughput(ctx.db, { minutes: input.minutes })),
});

export const errorsRouter = router({
  /** The latest error and critical events across paid orders, and counts per error type. */
  summary: viewerProcedure
    .input(ErrorSummaryInput)
    .output(ErrorSummary)
    .query(({ ctx, input }) => errorSummary(ctx.db, input)),
});
