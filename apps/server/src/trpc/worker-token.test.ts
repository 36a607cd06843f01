import { expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { isWorkerRequest } from './context.ts';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('WORKER_TOKEN is a rotation list: every token in it is accepted, any other refused', () => {
  const { WORKER_TOKEN } = testEnv({
    WORKER_TOKEN: ' new-worker-token-0123456789 , old-worker-token-0123456789 ',
  });
  expect(WORKER_TOKEN).toEqual(['new-worker-token-0123456789', 'old-worker-token-0123456789']);
  expect(isWorkerRequest(bearer('new-worker-token-0123456789'), WORKER_TOKEN)).toBe(true);
  expect(isWorkerRequest(bearer('old-worker-token-0123456789'), WORKER_TOKEN)).toBe(true);
  // After the rotation the old one is removed from the list, and refused.
  expect(isWorkerRequest(bearer('old-worker-token-0123456789'), ['new-worker-token-0123456789'])).toBe(false);
  expect(isWorkerRequest(bearer('new-worker-token-012345678'), WORKER_TOKEN)).toBe(false);
  expect(isWorkerRequest({ authorization: 'new-worker-token-0123456789' }, WORKER_TOKEN)).toBe(false);
  expect(isWorkerRequest({}, WORKER_TOKEN)).toBe(false);
});

test('every WORKER_TOKEN needs 16+ characters, there must be one, and production refuses the development token', () => {
  expect(() => testEnv({ WORKER_TOKEN: 'a-good-token-0123456789,short' })).toThrow(/16\+ characters/);
  expect(() => testEnv({ WORKER_TOKEN: ' , ' })).toThrow(/at least one token/);
  const production = {
    NODE_ENV: 'production',
    WEBHOOK_SECRETS: 'a-real-webhook-secret-0123',
    DELIVERY_SECRETS: 'a-real-delivery-secret-0123',
    PUBLIC_BASE_URL: 'https://shop.example.com',
  };
  expect(() =>
    testEnv({ ...production, WORKER_TOKEN: 'a-real-token-0123456789,dev-worker-token-change-me' }),
  ).toThrow(/WORKER_TOKEN/);
  expect(testEnv({ ...production, WORKER_TOKEN: 'a-real-token-0123456789' }).WORKER_TOKEN).toEqual([
    'a-real-token-0123456789',
  ]);
});
