import { expect, test } from 'vitest';
import { DeliveryOverview, deliveryLinkStatus, deliverySlug, localDeliveryPath } from './delivery.ts';

test('a link is active until it expires or is revoked; revoked wins', () => {
  const now = new Date('2025-06-01T00:00:00Z');
  const later = new Date('2025-06-02T00:00:00Z');
  const earlier = new Date('2025-05-31T00:00:00Z');
  expect(deliveryLinkStatus({ expires_at: later, revoked_at: null }, now)).toBe('active');
  expect(deliveryLinkStatus({ expires_at: earlier, revoked_at: null }, now)).toBe('expired');
  expect(deliveryLinkStatus({ expires_at: now, revoked_at: null }, now)).toBe('expired');
  expect(deliveryLinkStatus({ expires_at: earlier, revoked_at: earlier }, now)).toBe('revoked');
  expect(deliveryLinkStatus({ expires_at: later, revoked_at: earlier }, now)).toBe('revoked');
});

test('the local layout is <order code>/<task id>-<slug>, one safe segment each', () => {
  expect(localDeliveryPath({ orderCode: 'DH123456', taskId: 5, title: 'Intro Course' })).toBe(
    'DH123456/5-intro-course',
  );
  expect(localDeliveryPath({ orderCode: '../x/y', taskId: 7, title: '../../etc' })).toBe('___x_y/7-etc');
  expect(localDeliveryPath({ orderCode: '', taskId: 1, title: '***' })).toBe('order/1-course');
  expect(deliverySlug('Lập trình Node.js')).toBe('lap-trinh-node-js');
  expect(deliverySlug('x'.repeat(100))).toHaveLength(60);
});

test('the overview carries links with their status and files with their counts', () => {
  const overview = {
    links: [
      {
        id: 1,
        status: 'active',
        url: 'https://shop.example/d/abc',
        expiresAt: new Date(),
        createdAt: new Date(),
        createdBy: 'system',
        revokedAt: null,
        revokedBy: null,
        lastOpenedOn: '2025-06-01',
      },
    ],
    files: [
      {
        taskId: 3,
        title: 'Course',
        path: 'a.mp4',
        size: 10,
        downloads: 2,
        bytesSent: 20,
        lastDownloadAt: null,
      },
    ],
  };
  expect(DeliveryOverview.parse(overview)).toEqual(overview);
  expect(
    DeliveryOverview.safeParse({ ...overview, links: [{ ...overview.links[0], status: 'gone' }] }).success,
  ).toBe(false);
});
