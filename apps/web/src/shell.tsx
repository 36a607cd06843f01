import { useEffect, useRef } from 'react';
import { AlertsBanner } from './components/alerts-banner.tsx';
import { ConnectionIndicator } from './components/connection-indicator.tsx';
import { useFirehose } from './hooks/use-firehose.ts';
import { usePaymentAttention } from './hooks/use-payments.ts';
import { useSession } from './hooks/use-session.ts';
import { useConnectionStatus } from './live/live-context.tsx';
import { AlertsPage } from './pages/alerts-page.tsx';
import { ErrorsPage } from './pages/errors-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { OrderDetailPage } from './pages/order-detail-page.tsx';
import { OrdersPage } from './pages/orders-page.tsx';
import { OverviewPage } from './pages/overview-page.tsx';
import { PaymentsPage } from './pages/payments-page.tsx';
import { QueuePage } from './pages/queue-page.tsx';
import { useLocation } from './router/history.ts';
import { Link, NavLink } from './router/link.tsx';
import { matchRoute, paths, type Route } from './router/routes.ts';

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'overview':
      return <OverviewPage />;
    case 'orders':
      return <OrdersPage />;
    case 'order':
      return <OrderDetailPage key={route.orderId} orderId={route.orderId} />;
    case 'errors':
      return <ErrorsPage />;
    case 'queue':
      return <QueuePage />;
    case 'payments':
      return <PaymentsPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'not-found':
      return <NotFoundPage />;
  }
}

/** The navigation's Payments link, with how many transfers wait for an operator. */
function PaymentsNavLink() {
  const waiting = usePaymentAttention().data?.total ?? 0;
  return (
    <NavLink to={paths.payments}>
      Payments
      {waiting > 0 ? (
        <span className="nav__count" data-testid="nav-payments-attention">
          <span className="visually-hidden">, needing attention: </span>
          {waiting}
        </span>
      ) : null}
    </NavLink>
  );
}

/** The signed-in frame: navigation, connection state, who is signed in, and the current page. */
export function Shell() {
  const { me, signOut } = useSession();
  const status = useConnectionStatus();
  const { pathname } = useLocation();
  const route = matchRoute(pathname);
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);
  useFirehose();

  // A new screen moves focus to its heading, as a page load would, so that screen readers
  // announce it and keyboard users start from the top. Filter changes (same path) do not.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = main.current?.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus();
    }
    window.scrollTo(0, 0);
  }, [pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link className="brand" to={paths.overview}>
          Paidflow
        </Link>
        <nav className="nav" aria-label="Main">
          <NavLink to={paths.overview} exact>
            Overview
          </NavLink>
          <NavLink to={paths.orders}>Orders</NavLink>
          <NavLink to={paths.errors}>Errors</NavLink>
          <NavLink to={paths.queue}>Queue</NavLink>
          <PaymentsNavLink />
          <NavLink to={paths.alerts}>Alerts</NavLink>
        </nav>
        <div className="topbar__end">
          <ConnectionIndicator status={status} />
          <span className="who">
            <span className="who__email">{me.email}</span>
            <span className="badge badge--neutral" title={`Signed in as ${me.email}`}>
              {me.role}
            </span>
          </span>
          <button type="button" className="button button--small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main}>
        <AlertsBanner />
        <Page route={route} />
      </main>
    </div>
  );
}
