import { expect, test } from 'vitest';
import { contentDisposition, safeContentType } from './files.ts';
import { escapeHtml, html } from './html.ts';
import { formatBytes, pickLanguage } from './messages.ts';
import { deliveryPage, fileHref } from './page.ts';

test('the language: ?lang= first, then Accept-Language by preference, else Vietnamese', () => {
  expect(pickLanguage(null, undefined)).toBe('vi');
  expect(pickLanguage(null, 'en-US,en;q=0.9')).toBe('en');
  expect(pickLanguage(null, 'fr-FR, en;q=0.5, vi;q=0.8')).toBe('vi');
  expect(pickLanguage(null, 'de, fr')).toBe('vi');
  expect(pickLanguage(null, 'en;q=0, vi;q=0.1')).toBe('vi');
  expect(pickLanguage('en', 'vi')).toBe('en');
  expect(pickLanguage('xx', 'en')).toBe('en');
});

test('sizes read as people read them, in each language', () => {
  expect(formatBytes(12, 'en')).toBe('12 B');
  expect(formatBytes(1_500_000, 'en')).toBe('1.5 MB');
  expect(formatBytes(1_500_000, 'vi')).toBe('1,5 MB');
  expect(formatBytes(3_200_000_000, 'en')).toBe('3.2 GB');
});

test('HTML is escaped unless it is markup already', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  expect(html`<p>${'<b>'}${html`<i>ok</i>`}</p>`.value).toBe('<p>&lt;b&gt;<i>ok</i></p>');
});

test('the page lists each delivered file under the link, and the courses not ready', () => {
  const page = deliveryPage({
    lang: 'en',
    base: '/d/tok',
    orderCode: 'DH1',
    expiresAt: new Date('2025-07-01T00:00:00Z'),
    courses: [
      {
        taskId: 3,
        title: 'A <b>course</b>',
        status: 'completed',
        files: [{ path: 'week 1/intro #1.mp4', size: 1_000_000, contentType: 'video/mp4' }],
      },
      { taskId: 4, title: 'Gone', status: 'failed', files: null },
    ],
  });
  expect(page).toContain('<html lang="en">');
  expect(page).toContain('A &lt;b&gt;course&lt;/b&gt;');
  expect(page).toContain(`href="${fileHref('/d/tok', 3, 'week 1/intro #1.mp4')}"`);
  expect(fileHref('/d/tok', 3, 'week 1/intro #1.mp4')).toBe('/d/tok/f/3/week%201/intro%20%231.mp4');
  expect(page).toContain('href="/d/tok/zip/3"');
  expect(page).toContain('1 file · 1 MB');
  expect(page).toContain('Gone: could not be delivered');
  expect(page).toContain('href="/d/tok?lang=vi"');
});

test('downloads are attachments with the exact UTF-8 name, and only plain media types pass', () => {
  expect(contentDisposition('Bài giảng 1.pdf')).toBe(
    `attachment; filename="Bai giang 1.pdf"; filename*=UTF-8''B%C3%A0i%20gi%E1%BA%A3ng%201.pdf`,
  );
  expect(contentDisposition('a"b\\c\'(d).txt')).toBe(
    `attachment; filename="a_b_c'(d).txt"; filename*=UTF-8''a%22b%5Cc%27%28d%29.txt`,
  );
  expect(safeContentType('video/mp4')).toBe('video/mp4');
  expect(safeContentType('text/plain; charset=utf-8')).toBe('text/plain; charset=utf-8');
  expect(safeContentType('text/html\r\nX-Evil: 1')).toBe('application/octet-stream');
  expect(safeContentType('nonsense')).toBe('application/octet-stream');
});
