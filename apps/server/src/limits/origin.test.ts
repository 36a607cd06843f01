import { expect, test } from 'vitest';
import { testEnv } from '../env.ts';
import { allowedOrigins, checkOrigin } from './origin.ts';

test('outside production the loopback origins of the port and of Vite’s dev and preview servers are allowed', () => {
  const origins = allowedOrigins(testEnv({ PORT: '3000' }));
  for (const origin of [
    'http://127.0.0.1:3000',
    'http://localhost:3000',
    'http://localhost:5173',
    'http://127.0.0.1:5173',
    'http://localhost:4173',
  ]) {
    expect(checkOrigin({ origin }, origins), origin).toBe('allowed');
  }
  expect(checkOrigin({ origin: 'http://localhost:8080' }, origins)).toBe('refused');
});

test('in production only PUBLIC_BASE_URL’s origin and ALLOWED_ORIGINS pass, compared as browsers write them', () => {
  const env = testEnv({
    NODE_ENV: 'production',
    WEBHOOK_SECRETS: 'a-real-webhook-secret-0123',
    WORKER_TOKEN: 'a-real-worker-token-0123',
    DELIVERY_SECRETS: 'a-real-delivery-secret-0123',
    PUBLIC_BASE_URL: 'https://Shop.Example.com:443/paidflow/',
    ALLOWED_ORIGINS: 'https://admin.example.com, https://ops.example.com:8443',
  });
  const origins = allowedOrigins(env);
  expect([...origins].sort()).toEqual([
    'https://admin.example.com',
    'https://ops.example.com:8443',
    'https://shop.example.com',
  ]);
  expect(checkOrigin({ origin: 'https://shop.example.com' }, origins)).toBe('allowed');
  expect(checkOrigin({ origin: 'http://shop.example.com' }, origins)).toBe('refused');
  expect(checkOrigin({ origin: 'http://localhost:5173' }, origins)).toBe('refused');
  expect(checkOrigin({ origin: 'null' }, origins)).toBe('refused');
  expect(checkOrigin({ origin: 'not a url' }, origins)).toBe('refused');
  expect(checkOrigin({}, origins)).toBe('none');
});

test('ALLOWED_ORIGINS must be http(s) URLs', () => {
  expect(() => testEnv({ ALLOWED_ORIGINS: 'admin.example.com' })).toThrow(/ALLOWED_ORIGINS/);
  expect(() => testEnv({ ALLOWED_ORIGINS: 'ftp://admin.example.com' })).toThrow(/ALLOWED_ORIGINS/);
});
