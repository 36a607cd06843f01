import type { ConnectionStatus } from '../live/connection.ts';

const TEXT: Record<ConnectionStatus, { label: string; detail: string }> = {
  connecting: { label: 'Connecting', detail: 'Opening the live connection…' },
  live: { label: 'Live', detail: 'Updates arrive as they happen.' },
  reconnecting: {
    label: 'Reconnecting',
    detail: 'Connection lost; retrying. The screen catches up when it is back.',
  },
  offline: { label: 'Offline', detail: 'The server cannot be reached. Figures may be out of date.' },
};

/** Says whether what is on screen is live; a polite live region announces each change. */
export function ConnectionIndicator({ status }: { status: ConnectionStatus }) {
  const text = TEXT[status];
  return (
    <div className={`connection connection--${status}`} role="status" aria-live="polite" title={text.detail}>
      <span className="connection__dot" aria-hidden="true" />
      <span className="connection__label">{text.label}</span>
      <span className="visually-hidden">{text.detail}</span>
    </div>
  );
}
