import type { OrderAuditArchives } from '@paidflow/contracts';
import { formatCount, formatDateTime } from '../lib/format.ts';
import { trpc } from '../trpc.ts';

/**
 * The end of an order's timeline when the retention job archived its older events: how many,
 * from when to when, and the archive files on the server that hold them (decision 055).
 */
export function AuditArchiveNoteView({ archives }: { archives: OrderAuditArchives }) {
  if (archives.events === 0) return null;
  return (
    <aside className="alert alert--info audit-archive-note" aria-label="Archived audit events">
      <p>
        {formatCount(archives.events)} older {archives.events === 1 ? 'event is' : 'events are'} archived
        {archives.oldestAt && archives.newestAt
          ? ` (${formatDateTime(archives.oldestAt)} to ${formatDateTime(archives.newestAt)})`
          : ''}{' '}
        and no longer shown here. They are in {archives.files.length === 1 ? 'this file' : 'these files'} on
        the server (gzip NDJSON; see docs/backup.md):
      </p>
      <ul>
        {archives.files.map((file) => (
          <li key={file.file}>
            <code>{file.file}</code> <span className="muted">({formatCount(file.events)} events)</span>
          </li>
        ))}
      </ul>
    </aside>
  );
}

/** The note for one order, fetched when the timeline is open. */
export function AuditArchiveNote({ orderId }: { orderId: number }) {
  const archived = trpc.audit.archived.useQuery({ orderId }, { staleTime: 60_000 });
  return archived.data ? <AuditArchiveNoteView archives={archived.data} /> : null;
}
