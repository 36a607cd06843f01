import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PublisherConfig, PublisherReport } from './publisher.ts';
import type { PublishedTick } from './ticks.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The publisher in a process of its own (its CPU is not the bench's); stop() returns its ticks. */
export async function startPublisher(
  config: PublisherConfig,
): Promise<{ stop(): Promise<{ ticks: PublishedTick[]; achievedRate: number }> }> {
  const child = fork(`${HERE}publisher.ts`, [], { execArgv: ['--import', 'tsx'], cwd: HERE });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    void exited.then((code) => reject(new Error(`publisher exited with ${code}`)));
  });
  const report = new Promise<PublisherReport>((resolve, reject) => {
    child.once('message', (message: PublisherReport) => resolve(message));
    void exited.then((code) => reject(new Error(`publisher exited with ${code}`)));
  });
  child.send(config);
  return {
    async stop() {
      child.send('stop');
      const { ticks, achievedRate } = await report;
      const out: PublishedTick[] = [];
      for (let i = 0; i + 2 < ticks.length; i += 3) {
        out.push({ taskId: ticks[i]!, seq: ticks[i + 1]!, publishedAt: ticks[i + 2]! });
      }
      return { ticks: out, achievedRate };
    },
  };
}
