import type { AppDeps } from '../deps.ts';
import type { Route } from '../http.ts';
import { handleDeliveryRequest } from './handler.ts';

/** The customer's download page and files, GET and HEAD /d/<token>... (decision 044). */
export function deliveryRoutes(deps: AppDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/d/',
      prefix: true,
      head: true,
      handler: (req, res) => handleDeliveryRequest(deps, req, res),
    },
  ];
}
