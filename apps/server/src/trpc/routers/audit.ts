import { AuditLogPage, ListAuditLogInput } from '@paidflow/contracts';
import { listAuditLog } from '@paidflow/db';
import { router, viewerProcedure } from '../init.ts';

export const auditRouter = router({
  /** An order's audit trail, newest first, filtered by severity, category and task, paged. */
  list: viewerProcedure
    .input(ListAuditLogInput)
    .output(AuditLogPage)
    .query(({ ctx, input }) => listAuditLog(ctx.db, input)),
});
