/** The screens, each with its own path; filters live in the query string. */
export type Route =
  | { name: 'overview' }
  | { name: 'orders' }
  | { name: 'order'; orderId: number }
  | { name: 'errors' }
  | { name: 'queue' }
  | { name: 'payments' }
  | { name: 'alerts' }
  | { name: 'not-found' };

export const paths = {
  overview: '/',
  orders: '/orders',
  order: (orderId: number) => `/orders/${orderId}`,
  errors: '/errors',
  queue: '/queue',
  payments: '/payments',
  alerts: '/alerts',
} as const;

export function matchRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'overview' };
  if (path === '/orders') return { name: 'orders' };
  if (path === '/errors') return { name: 'errors' };
  if (path === '/queue') return { name: 'queue' };
  if (path === '/payments') return { name: 'payments' };
  if (path === '/alerts') return { name: 'alerts' };
  const order = /^\/orders\/([1-9][0-9]{0,15})$/.exec(path);
  if (order) return { name: 'order', orderId: Number(order[1]) };
  return { name: 'not-found' };
}
