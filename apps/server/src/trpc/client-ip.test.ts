import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { expect, test } from 'vitest';
import { clientIpOf } from './context.ts';

function request(headers: IncomingHttpHeaders): IncomingMessage {
  return { headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
}

test('behind the trusted proxy the client is the last X-Forwarded-For hop: a forged first hop picks no rate-limit key', () => {
  expect(clientIpOf(request({ 'x-forwarded-for': '203.0.113.7' }), true)).toBe('203.0.113.7');
  expect(clientIpOf(request({ 'x-forwarded-for': '1.2.3.4, 203.0.113.7' }), true)).toBe('203.0.113.7');
  expect(clientIpOf(request({ 'x-forwarded-for': ' , ' }), true)).toBe('127.0.0.1');
  expect(clientIpOf(request({}), true)).toBe('127.0.0.1');
  // Without TRUST_PROXY the header is anyone's to write: the socket's peer counts.
  expect(clientIpOf(request({ 'x-forwarded-for': '203.0.113.7' }), false)).toBe('127.0.0.1');
});
