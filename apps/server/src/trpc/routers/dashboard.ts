import { DashboardStats, ErrorSummary, ErrorSummaryInput } from '@paidflow/contracts';
import { dashboardStats, errorSummary } from '@paidflow/db';
import { router, viewerProcedure } from '../init.ts';
import { read } from '../read.ts';

export const dashboardRouter = router({
  /** Counts of paid orders: all, processing, completed, failed. */
  stats: viewerProcedure.output(DashboardStats).query(({ ctx }) => read(() => dashboardStats(ctx.db))),
});

export const errorsRouter = router({
  /** The latest error and critical events across paid orders, and counts per error type. */
  summary: viewerProcedure
    .input(ErrorSummaryInput)
    .output(ErrorSummary)
    .query(({ ctx, input }) => read(() => errorSummary(ctx.db, input))),
});
