import type { DeliveredFile, TaskStatus } from '@paidflow/contracts';
import { Html, html } from './html.ts';
import { formatBytes, formatDate, type Lang, MESSAGES } from './messages.ts';

/** A course on the customer's page: its files when it was delivered, else its status. */
export interface PageCourse {
  taskId: number;
  title: string;
  status: TaskStatus;
  files: DeliveredFile[] | null;
}

const STYLE = `
:root{color-scheme:light;--ink:#1c2430;--muted:#5b6675;--line:#dde2e8;--accent:#0b62c4;--bg:#f5f7fa}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:52rem;margin:0 auto;padding:2rem 1rem 3rem}
header{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.5rem 1rem;margin-bottom:1.5rem}
h1{font-size:1.6rem;margin:0}h2{font-size:1.2rem;margin:0}p{margin:.25rem 0}
.muted{color:var(--muted)}.lang{font-size:.95rem}
.course{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin:0 0 1rem}
.course__head{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1rem;margin-bottom:.75rem}
.button{display:inline-block;background:var(--accent);color:#fff;text-decoration:none;padding:.5rem .9rem;border-radius:6px;font-weight:600}
.button:focus-visible,a:focus-visible{outline:3px solid #f0a500;outline-offset:2px}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:.4rem .25rem;border-top:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}td.size,th.size{text-align:right;white-space:nowrap}
td a{color:var(--accent);word-break:break-word}
.pending li{margin:.25rem 0}.notice{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1.5rem}
`;

/** The one HTML document every customer page is. */
export function layout(lang: Lang, title: string, body: Html): string {
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body><main>${body}</main></body>
</html>
`.value;
}

/** A file's URL under the link: each path segment percent-encoded. */
export function fileHref(base: string, taskId: number, path: string): string {
  return `${base}/f/${taskId}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function courseSection(base: string, lang: Lang, course: PageCourse & { files: DeliveredFile[] }): Html {
  const t = MESSAGES[lang];
  const total = course.files.reduce((sum, file) => sum + file.size, 0);
  const rows = course.files.map(
    (
      file,
    ) => html`<tr><td><a href="${fileHref(base, course.taskId, file.path)}" download>${file.path}</a></td>
<td class="size">${formatBytes(file.size, lang)}</td></tr>`,
  );
  return html`<section class="course" id="course-${course.taskId}" aria-labelledby="title-${course.taskId}">
<div class="course__head">
<div><h2 id="title-${course.taskId}">${course.title}</h2>
<p class="muted">${t.fileCount(course.files.length, formatBytes(total, lang))}</p></div>
${course.files.length > 0 ? html`<a class="button" href="${base}/zip/${course.taskId}" download>${t.downloadAll}</a>` : ''}
</div>
<table><thead><tr><th scope="col">${t.fileHeader}</th><th scope="col" class="size">${t.sizeHeader}</th></tr></thead>
<tbody>${rows}</tbody></table>
</section>`;
}

/** The customer's download page: the delivered courses with their files, then those not ready. */
export function deliveryPage(input: {
  lang: Lang;
  /** The link's path, /d/<token>: file and archive links are under it. */
  base: string;
  orderCode: string;
  expiresAt: Date;
  courses: PageCourse[];
}): string {
  const { lang, base } = input;
  const t = MESSAGES[lang];
  const ready = input.courses.filter((c): c is PageCourse & { files: DeliveredFile[] } => c.files !== null);
  const pending = input.courses.filter((c) => c.files === null);
  const other = t.otherLanguage;
  const body = html`<header>
<div><h1>${t.pageTitle}</h1><p class="muted">${t.order(input.orderCode)}</p></div>
<a class="lang" href="${base}?lang=${other.lang}" hreflang="${other.lang}" lang="${other.lang}">${other.label}</a>
</header>
<p>${t.validUntil(formatDate(input.expiresAt, lang))} ${t.resumeHint}</p>
${ready.length > 0 ? ready.map((course) => courseSection(base, lang, course)) : html`<p class="notice">${t.nothingReady}</p>`}
${
  pending.length > 0
    ? html`<section class="course pending" aria-labelledby="pending-title"><h2 id="pending-title">${t.notReadyTitle}</h2><ul>${pending.map(
        (course) =>
          html`<li>${course.title}: ${course.status === 'failed' ? t.notReady.failed : course.status === 'cancelled' ? t.notReady.cancelled : t.notReady.other}</li>`,
      )}</ul></section>`
    : ''
}
<p class="muted">${t.help}</p>`;
  return layout(lang, `${t.pageTitle} · ${input.orderCode}`, body);
}

/** A page that only says something: not found, gone, too many requests, unavailable. */
export function noticePage(lang: Lang, title: string, text: string): string {
  return layout(lang, title, html`<div class="notice" role="alert"><h1>${title}</h1><p>${text}</p></div>`);
}
