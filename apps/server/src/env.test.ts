import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { DEV_DELIVERY_SECRET, testEnv } from './env.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const PRODUCTION = {
  NODE_ENV: 'production',
  WEBHOOK_SECRETS: 'a-real-webhook-secret-0123',
  WORKER_TOKEN: 'a-real-worker-token-0123',
  DELIVERY_SECRETS: 'a-real-delivery-secret-0123',
  PUBLIC_BASE_URL: 'https://shop.example.com/',
} as const;

test('delivery defaults work on a developer machine', () => {
  const env = testEnv({ PORT: '4000' });
  expect(env).toMatchObject({
    DELIVERY_DIR: path.join(ROOT, '.paidflow/delivery'),
    DELIVERY_SECRETS: [DEV_DELIVERY_SECRET],
    DELIVERY_LINK_TTL: 30 * 86_400,
    DELIVERY_RATE_LIMIT: 120,
    PUBLIC_BASE_URL: 'http://127.0.0.1:4000',
  });
});

test('the link lifetime reads 30d, 12h or seconds; the secrets are a rotation list; the base URL loses its slash', () => {
  const env = testEnv({
    DELIVERY_LINK_TTL: '12h',
    DELIVERY_SECRETS: ' new-secret-0123456789 , old-secret-0123456789 ',
    PUBLIC_BASE_URL: 'https://shop.example.com/downloads/',
    DELIVERY_DIR: '/srv/delivery',
  });
  expect(env.DELIVERY_LINK_TTL).toBe(43_200);
  expect(env.DELIVERY_SECRETS).toEqual(['new-secret-0123456789', 'old-secret-0123456789']);
  expect(env.PUBLIC_BASE_URL).toBe('https://shop.example.com/downloads');
  expect(env.DELIVERY_DIR).toBe('/srv/delivery');
  expect(testEnv({ DELIVERY_LINK_TTL: '3600' }).DELIVERY_LINK_TTL).toBe(3600);
  expect(() => testEnv({ DELIVERY_LINK_TTL: 'a month' })).toThrow(/DELIVERY_LINK_TTL/);
  expect(() => testEnv({ DELIVERY_SECRETS: ' , ' })).toThrow(/DELIVERY_SECRETS/);
  expect(() => testEnv({ PUBLIC_BASE_URL: 'ftp://shop.example.com' })).toThrow(/PUBLIC_BASE_URL/);
  expect(() => testEnv({ DELIVERY_RATE_LIMIT: '-1' })).toThrow(/DELIVERY_RATE_LIMIT/);
});

test('production needs real delivery secrets and the public address', () => {
  expect(testEnv(PRODUCTION).PUBLIC_BASE_URL).toBe('https://shop.example.com');
  expect(() => testEnv({ ...PRODUCTION, DELIVERY_SECRETS: DEV_DELIVERY_SECRET })).toThrow(/DELIVERY_SECRETS/);
  expect(() => testEnv({ ...PRODUCTION, DELIVERY_SECRETS: 'short' })).toThrow(/16\+ characters/);
  const { PUBLIC_BASE_URL: _, ...withoutUrl } = PRODUCTION;
  expect(() => testEnv(withoutUrl)).toThrow(/PUBLIC_BASE_URL/);
});
