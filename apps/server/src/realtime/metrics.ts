import { Counter, Gauge, type Registry } from 'prom-client';

/** The realtime hub's and the WebSocket server's metrics, on the server's registry. */
export function createRealtimeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'paidflow_realtime_messages_total',
      help: 'Valid pub/sub messages received by the hub, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    malformed: new Counter({
      name: 'paidflow_realtime_malformed_total',
      help: 'Pub/sub messages dropped because they did not parse, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    coalesced: new Counter({
      name: 'paidflow_realtime_coalesced_total',
      help: 'Progress events replaced by a newer one before a slow subscriber got them',
      registers,
    }),
    overflows: new Counter({
      name: 'paidflow_realtime_overflows_total',
      help: 'Subscribers disconnected because their pending events passed the bound',
      registers,
    }),
    subscriptions: new Gauge({
      name: 'paidflow_realtime_subscriptions',
      help: 'Open live subscriptions',
      labelNames: ['topic'] as const,
      registers,
    }),
    connections: new Gauge({
      name: 'paidflow_websocket_connections',
      help: 'Open WebSocket connections',
      registers,
    }),
    rejectedUpgrades: new Counter({
      name: 'paidflow_websocket_rejected_upgrades_total',
      help: 'WebSocket upgrades refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

export type RealtimeMetrics = ReturnType<typeof createRealtimeMetrics>;
