/**
 * The customer pages' words, in Vietnamese and English. Vietnamese is the default (the shop sells
 * in VND); the browser's Accept-Language picks English, and `?lang=vi|en` overrides both.
 */
export const LANGUAGES = ['vi', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Dates on the pages and in the e-mail are the shop's local time. */
export const SHOP_TIME_ZONE = 'Asia/Ho_Chi_Minh';

function isLang(value: string | null | undefined): value is Lang {
  return value === 'vi' || value === 'en';
}

/** `?lang=` when it names one of ours, else the first of ours in Accept-Language (by q), else vi. */
export function pickLanguage(query: string | null, acceptLanguage: string | undefined): Lang {
  if (isLang(query)) return query;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { lang: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter((item) => item.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((item) => item.lang).find(isLang) ?? 'vi';
}

const LOCALE: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

/** 1.5 MB, 734 kB, 12 B: decimal units, one decimal place, in the page's language. */
export function formatBytes(bytes: number, lang: Lang): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const number = new Intl.NumberFormat(LOCALE[lang], { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(
    value,
  );
  return `${number} ${units[unit]}`;
}

export function formatDate(date: Date, lang: Lang): string {
  return new Intl.DateTimeFormat(LOCALE[lang], {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: SHOP_TIME_ZONE,
  }).format(date);
}

export interface Messages {
  pageTitle: string;
  order: (code: string) => string;
  validUntil: (date: string) => string;
  resumeHint: string;
  downloadAll: string;
  fileCount: (count: number, size: string) => string;
  fileHeader: string;
  sizeHeader: string;
  nothingReady: string;
  notReadyTitle: string;
  notReady: { failed: string; cancelled: string; other: string };
  help: string;
  otherLanguage: { lang: Lang; label: string };
  notFoundTitle: string;
  notFound: string;
  expiredTitle: string;
  revokedTitle: string;
  gone: (code: string) => string;
  rateLimitedTitle: string;
  rateLimited: string;
  unavailableTitle: string;
  unavailable: string;
}

export const MESSAGES: Record<Lang, Messages> = {
  vi: {
    pageTitle: 'Tải khoá học của bạn',
    order: (code) => `Đơn hàng ${code}`,
    validUntil: (date) => `Liên kết này dùng được đến ${date}.`,
    resumeHint: 'Tệp lớn có thể tải tiếp nếu kết nối bị gián đoạn.',
    downloadAll: 'Tải tất cả (ZIP)',
    fileCount: (count, size) => `${count} tệp · ${size}`,
    fileHeader: 'Tệp',
    sizeHeader: 'Dung lượng',
    nothingReady: 'Chưa có khoá học nào sẵn sàng.',
    notReadyTitle: 'Chưa sẵn sàng',
    notReady: { failed: 'không giao được', cancelled: 'đã huỷ', other: 'đang được chuẩn bị' },
    help: 'Cần hỗ trợ? Hãy trả lời e-mail chúng tôi đã gửi cho bạn, hoặc liên hệ cửa hàng.',
    otherLanguage: { lang: 'en', label: 'English' },
    notFoundTitle: 'Không tìm thấy trang',
    notFound: 'Liên kết này không đúng. Hãy mở lại liên kết trong e-mail của bạn.',
    expiredTitle: 'Liên kết đã hết hạn',
    revokedTitle: 'Liên kết không còn hiệu lực',
    gone: (code) =>
      `Để nhận liên kết mới, hãy trả lời e-mail giao hàng của đơn ${code}, hoặc liên hệ cửa hàng và cho biết mã đơn hàng.`,
    rateLimitedTitle: 'Quá nhiều yêu cầu',
    rateLimited: 'Bạn đã gửi quá nhiều yêu cầu. Hãy thử lại sau ít phút.',
    unavailableTitle: 'Tạm thời không truy cập được',
    unavailable: 'Trang tải xuống tạm thời không truy cập được. Hãy thử lại sau ít phút.',
  },
  en: {
    pageTitle: 'Your course downloads',
    order: (code) => `Order ${code}`,
    validUntil: (date) => `This link works until ${date}.`,
    resumeHint: 'Large files resume if the connection drops.',
    downloadAll: 'Download all (ZIP)',
    fileCount: (count, size) => `${count} ${count === 1 ? 'file' : 'files'} · ${size}`,
    fileHeader: 'File',
    sizeHeader: 'Size',
    nothingReady: 'No course is ready yet.',
    notReadyTitle: 'Not ready',
    notReady: { failed: 'could not be delivered', cancelled: 'cancelled', other: 'still being prepared' },
    help: 'Need help? Reply to the e-mail we sent you, or contact the shop.',
    otherLanguage: { lang: 'vi', label: 'Tiếng Việt' },
    notFoundTitle: 'Page not found',
    notFound: 'This link is not valid. Open the link in your e-mail again.',
    expiredTitle: 'This link has expired',
    revokedTitle: 'This link is no longer valid',
    gone: (code) =>
      `To get a new link, reply to the delivery e-mail of order ${code}, or contact the shop and give your order code.`,
    rateLimitedTitle: 'Too many requests',
    rateLimited: 'You have sent too many requests. Please try again in a few minutes.',
    unavailableTitle: 'Temporarily unavailable',
    unavailable: 'The download page is temporarily unavailable. Please try again in a few minutes.',
  },
};
