// The benchmark's live writer, in a process of its own so that its timings are the database's,
// not the archiver's event loop: appends one audit event at a time through the db package, as
// the server does, between a 'start' and a 'stop' message, and answers 'stop' with every write's
// milliseconds.
import { appendAuditEvents, createDb } from '@paidflow/db';

const [url, firstOrder, orders] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const handle = createDb({ url, connectionLimit: 1 });
let writing: Promise<number[]> | null = null;
let stop = false;
let n = 0;

async function write(): Promise<number[]> {
  const samples: number[] = [];
  while (!stop) {
    const start = process.hrtime.bigint();
    await appendAuditEvents(handle.db, [
      {
        order_id: firstOrder + (n % orders),
        event_type: 'download_started',
        message: `live write ${n}`,
        details: { n },
        source: 'bench',
      },
    ]);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    n++;
  }
  return samples;
}

process.on('message', (message) => {
  if (message === 'start') {
    stop = false;
    writing = write();
  } else if (message === 'stop') {
    stop = true;
    void writing?.then((samples) => process.send?.({ samples }));
  } else if (message === 'exit') {
    void handle.close().then(() => process.exit(0));
  }
});
process.send?.('ready');
