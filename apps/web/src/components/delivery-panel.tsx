import { useState } from 'react';
import { errorMessage } from '../api/errors.ts';
import { useDeliveryActions, useDeliveryLinks } from '../hooks/use-delivery.ts';
import { formatBytes, formatDateTime } from '../lib/format.ts';
import type { RouterOutputs } from '../trpc.ts';
import { ConfirmButton } from './confirm-button.tsx';
import { Empty, ErrorBox, Loading, Notice } from './feedback.tsx';
import { OperatorOnly } from './operator-only.tsx';

type Overview = RouterOutputs['delivery']['links'];
type Link = Overview['links'][number];

const STATUS_TONE: Record<Link['status'], string> = {
  active: 'badge--success',
  expired: 'badge--muted',
  revoked: 'badge--danger',
};

/** The link's URL, selectable, with a button that copies it. */
function CopyableUrl({ url }: { url: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="delivery-url">
      <input
        className="input delivery-url__input"
        readOnly
        value={url}
        aria-label="Customer link"
        onFocus={(e) => e.target.select()}
      />
      <button
        type="button"
        className="button button--small"
        onClick={() => {
          void navigator.clipboard?.writeText(url).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function Actions({ orderId, active }: { orderId: number; active: Link | undefined }) {
  const actions = useDeliveryActions(orderId);
  const failed = [actions.revoke, actions.reissue, actions.resend].find((m) => m.isError);
  const busy = actions.revoke.isPending || actions.reissue.isPending || actions.resend.isPending;
  return (
    <OperatorOnly>
      <div className="actions">
        {active ? (
          <ConfirmButton
            label="Revoke link"
            confirmLabel="Press to revoke"
            className="button button--small"
            disabled={busy}
            onConfirm={() => actions.revoke.mutate({ linkId: active.id })}
          />
        ) : null}
        <ConfirmButton
          label="Re-issue link"
          confirmLabel="Press to re-issue"
          className="button button--small"
          disabled={busy}
          onConfirm={() => actions.reissue.mutate({ orderId })}
        />
        <ConfirmButton
          label="Resend e-mail"
          confirmLabel="Press to resend"
          className="button button--small button--primary"
          disabled={busy}
          onConfirm={() => actions.resend.mutate({ orderId })}
        />
      </div>
      {failed ? <ErrorBox title="The action failed">{errorMessage(failed.error)}</ErrorBox> : null}
      {actions.revoke.isSuccess ? (
        <Notice tone="success">Link revoked: the customer&rsquo;s page now says so.</Notice>
      ) : null}
      {actions.reissue.isSuccess ? (
        <Notice tone="success">New link issued; the old one no longer works.</Notice>
      ) : null}
      {actions.resend.isSuccess ? (
        <Notice tone="success">The e-mail is on its way to the customer.</Notice>
      ) : null}
    </OperatorOnly>
  );
}

function Files({ files }: { files: Overview['files'] }) {
  if (files.length === 0) return <Empty>No delivered files yet.</Empty>;
  return (
    <div className="table-wrap">
      <table className="data delivery-files">
        <thead>
          <tr>
            <th scope="col">Course</th>
            <th scope="col">File</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col" className="num">
              Downloads
            </th>
            <th scope="col">Last download</th>
          </tr>
        </thead>
        <tbody>
          {files.map((file) => (
            <tr key={`${file.taskId}/${file.path}`} data-file={file.path}>
              <td>{file.title}</td>
              <td className="truncate" title={file.path}>
                {file.path}
              </td>
              <td className="num">{formatBytes(file.size)}</td>
              <td className="num" data-testid="download-count">
                {file.downloads}
              </td>
              <td className="num">{file.lastDownloadAt ? formatDateTime(file.lastDownloadAt) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The order page's delivery panel: the customer's link, its status and expiry, downloads, and actions. */
export function DeliveryPanel({ orderId }: { orderId: number }) {
  const overview = useDeliveryLinks(orderId);
  const data = overview.data;
  const current = data?.links[0];
  const active = data?.links.find((link) => link.status === 'active');
  return (
    <section className="section" aria-labelledby="delivery-heading">
      <div className="section__head">
        <h2 id="delivery-heading">Customer delivery</h2>
        {data && data.files.length > 0 ? <Actions orderId={orderId} active={active} /> : null}
      </div>
      {overview.isPending ? <Loading /> : null}
      {overview.isError ? <ErrorBox>{errorMessage(overview.error)}</ErrorBox> : null}
      {data && !current ? (
        <Empty>No link yet: one is issued when the first course is delivered.</Empty>
      ) : null}
      {current ? (
        <div className="delivery-link" data-status={current.status}>
          <p>
            <span className={`badge ${STATUS_TONE[current.status]}`} data-testid="link-status">
              {current.status}
            </span>{' '}
            Link #{current.id}, {current.status === 'expired' ? 'expired' : 'valid until'}{' '}
            <span className="num">{formatDateTime(current.expiresAt)}</span>
            {current.revokedBy ? ` · revoked by ${current.revokedBy}` : ''}
            {current.lastOpenedOn ? ` · last opened ${current.lastOpenedOn}` : ' · not opened yet'}
          </p>
          {current.status === 'active' ? <CopyableUrl url={current.url} /> : null}
        </div>
      ) : null}
      {data ? <Files files={data.files} /> : null}
    </section>
  );
}
