// Formatters shared by every view. Each returns text of a stable shape (fixed decimals) so that a
// live value changing on every frame does not make the layout jump.

const SPEED_UNITS = ['B/s', 'KB/s', 'MB/s', 'GB/s'] as const;
const SIZE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

function scaled(value: number, units: readonly string[]): string {
  let amount = Math.max(0, value);
  let unit = 0;
  while (amount >= 1024 && unit < units.length - 1) {
    amount /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(amount)} ${units[0]}` : `${amount.toFixed(1)} ${units[unit]}`;
}

/** Bytes per second as text: "512 B/s", "1.5 MB/s" (binary multiples, as the seeds did). */
export function formatSpeed(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) return '—';
  return scaled(bytesPerSecond, SPEED_UNITS);
}

/** A size in bytes: "0 B", "12.0 MB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  return scaled(bytes, SIZE_UNITS);
}

const pad = (value: number) => String(value).padStart(2, '0');

/** Time left: "—" when unknown, "<1 s", "45 s", "3 min 05 s", "2 h 04 min". */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return '<1 s';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60)} s`;
  const minutes = Math.floor(whole / 60);
  return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
}

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** An amount in its currency; VND the Vietnamese way, without decimals: "300.000 ₫". */
export function formatMoney(amount: number, currency = 'VND'): string {
  const code = currency.toUpperCase();
  let format = moneyFormats.get(code);
  if (!format) {
    format = new Intl.NumberFormat(code === 'VND' ? 'vi-VN' : 'en-US', {
      style: 'currency',
      currency: code,
      maximumFractionDigits: code === 'VND' ? 0 : 2,
    });
    moneyFormats.set(code, format);
  }
  return format.format(amount);
}

/** A whole percent that reads 100% only when it is: 99.7 gives "99%". */
export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '0%';
  const clamped = Math.min(100, Math.max(0, percent));
  return `${clamped >= 100 ? 100 : Math.floor(clamped)}%`;
}

/** Local date and time, sortable and unambiguous: "2026-01-14 10:30:05". */
export function formatDateTime(value: Date | string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}:${pad(date.getSeconds())}`;
}

/** How long ago, coarse: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function formatAgo(value: Date | number, now: number = Date.now()): string {
  const then = value instanceof Date ? value.getTime() : value;
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/** A count with thousands separators: "1,234,567". */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
