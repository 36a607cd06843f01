import type { ReactNode } from 'react';

/** An error the user should read, announced at once. */
export function ErrorBox({
  title = 'Something went wrong',
  children,
}: {
  title?: string;
  children: ReactNode;
}) {
  return (
    <div className="alert alert--danger" role="alert">
      <strong>{title}</strong>
      <div>{children}</div>
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" aria-busy="true">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** A short-lived message after an action (polite: it does not interrupt). */
export function Notice({ tone, children }: { tone: 'success' | 'danger' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert--${tone}`} role="status" aria-live="polite">
      {children}
    </div>
  );
}
