import { z } from 'zod';

/**
 * The tracing settings every process reads (spread into each app's Env). An empty value means
 * unset, as in a copied .env.example; startTracing treats it so.
 */
export const TracingEnv = {
  /** The OTLP collector's base URL (traces go to <url>/v1/traces); unset, no span is exported. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .union([
      z.literal(''),
      z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of an OTLP collector' }),
    ])
    .optional(),
  /** Overrides the service name spans are exported under (paidflow-server, paidflow-worker). */
  OTEL_SERVICE_NAME: z.string().max(200).optional(),
};
