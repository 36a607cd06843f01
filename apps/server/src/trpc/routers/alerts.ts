import {
  type AlertLiveEvent,
  type AlertStatusEvent,
  AlertsPage,
  FiringAlerts,
  ListAlertsInput,
} from '@paidflow/contracts';
import { firingAlerts, listAlerts } from '@paidflow/db';
import { refetchStream } from '../../realtime/refetch-stream.ts';
import { router, viewerProcedure, viewerReadProcedure } from '../init.ts';

/** Operational alerts (docs/alerts.md): the history, what fires now, and their changes live. */
export const alertsRouter = router({
  /** The history, newest raised first: firing or resolved, of one kind; keyset cursor. */
  list: viewerReadProcedure
    .input(ListAlertsInput)
    .output(AlertsPage)
    .query(({ ctx, input }) => listAlerts(ctx.db, input)),
  /** What fires now, the most severe first (the dashboard's banner). */
  firing: viewerReadProcedure.output(FiringAlerts).query(({ ctx }) => firingAlerts(ctx.db)),
  /** Live: `ready`, then every alert raised, reminded about or resolved (WebSocket); clients refetch. */
  live: viewerProcedure.subscription(({ ctx, signal }) =>
    refetchStream({
      listen: ctx.realtime.hub.onAlert,
      toEvent: (data: AlertStatusEvent): AlertLiveEvent => ({ kind: 'alert.status', data }),
      signal,
    }),
  ),
});
