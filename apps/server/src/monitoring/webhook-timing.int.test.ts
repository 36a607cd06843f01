import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
} from '../testing/pipeline-fixtures.ts';

// The webhook latency histogram, through the real server's route: every answer is timed, by status.

let stack: TestServer;
beforeAll(async () => {
  stack = await startTestServer('webhook-timing');
});
afterAll(async () => {
  await stack?.close();
});

async function count(status: string): Promise<number> {
  const text = await (await fetch(`${stack.server.url}/metrics`)).text();
  const series = `paidflow_webhook_duration_seconds_count{provider="sepay",status="${status}"}`;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

test('each webhook answer is timed by its status code: accepted and refused alike', async () => {
  const accepted = await postWebhook(stack.server.url, sepayTransaction(null, 1000));
  expect(accepted.status).toBe(200);
  const refused = await postWebhook(stack.server.url, sepayTransaction(null, 1000), { headers: {} });
  expect(refused.status).toBe(401);
  expect(await count('200')).toBe(1);
  expect(await count('401')).toBe(1);
  // Other routes are not webhooks.
  await fetch(`${stack.server.url}/healthz`);
  const text = await (await fetch(`${stack.server.url}/metrics`)).text();
  expect(text.match(/^paidflow_webhook_duration_seconds_count\{/gm)).toHaveLength(2);
});
