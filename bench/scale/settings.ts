// The scale benchmark's options: --quick shrinks every size that is not given explicitly.
import { parseArgs } from 'node:util';

export const SCALE_OPTIONS = {
  orders: { type: 'string', default: '200' },
  'tasks-per-order': { type: 'string', default: '3' },
  clients: { type: 'string', default: '1000' },
  /** Files per task, their size and the course source's throttle (a file takes size/bps s). */
  files: { type: 'string', default: '2' },
  'file-bytes': { type: 'string', default: '32768' },
  bps: { type: 'string', default: '65536' },
  'worker-concurrency': { type: 'string', default: '16' },
  'webhook-concurrency': { type: 'string', default: '16' },
  'fanout-per-order': { type: 'string', default: '10' },
  /** The idle phase whose cost is taken off the others. */
  'idle-seconds': { type: 'string', default: '5' },
  topologies: { type: 'string', default: 'a,b' },
  /** Small (30 orders x 2 tasks, 100 clients): under a minute. */
  quick: { type: 'boolean', default: false },
} as const;

export interface ScaleSettings {
  orders: number;
  tasksPerOrder: number;
  clients: number;
  files: number;
  fileBytes: number;
  bps: number;
  workerConcurrency: number;
  webhookConcurrency: number;
  fanoutPerOrder: number;
  idleSeconds: number;
  topologies: Array<'a' | 'b'>;
}

/** The settings from the command line; --quick shrinks the load unless a size is given too. */
export function scaleSettings(args: string[]): ScaleSettings {
  const { values } = parseArgs({ args: args.filter((arg) => arg !== '--'), options: SCALE_OPTIONS });
  const given = (name: string) => args.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  const number = (name: keyof typeof values, quick: number) => {
    const value = values.quick && !given(name) ? quick : Number(values[name]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  const topologies = values.topologies.split(',').map((name) => name.trim().toLowerCase());
  if (topologies.some((name) => name !== 'a' && name !== 'b'))
    throw new Error('--topologies takes a, b or a,b');
  return {
    orders: number('orders', 30),
    tasksPerOrder: number('tasks-per-order', 2),
    clients: number('clients', 100),
    files: number('files', 2),
    fileBytes: number('file-bytes', 32_768),
    bps: number('bps', 65_536),
    workerConcurrency: number('worker-concurrency', 16),
    webhookConcurrency: number('webhook-concurrency', 16),
    fanoutPerOrder: number('fanout-per-order', 5),
    idleSeconds: number('idle-seconds', 3),
    topologies: topologies as Array<'a' | 'b'>,
  };
}
