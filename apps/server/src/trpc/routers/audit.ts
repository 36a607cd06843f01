import { AuditLogPage, ListAuditLogInput, OrderAuditArchives, OrderIdInput } from '@paidflow/contracts';
import { listAuditLog, orderAuditArchives } from '@paidflow/db';
import { router, viewerReadProcedure } from '../init.ts';

export const auditRouter = router({
  /** An order's audit trail, newest first, filtered by severity, category and task, paged. */
  list: viewerReadProcedure
    .input(ListAuditLogInput)
    .output(AuditLogPage)
    .query(({ ctx, input }) => listAuditLog(ctx.db, input)),
  /** The order's older events that the retention job archived: how many, and in which files. */
  archived: viewerReadProcedure
    .input(OrderIdInput)
    .output(OrderAuditArchives)
    .query(({ ctx, input }) => orderAuditArchives(ctx.db, input.orderId)),
});
