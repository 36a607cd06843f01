import type { OrderStatus, TaskStatus } from '@paidflow/contracts';
import {
  activeDeliveryLink,
  adminAlertSentFor,
  appendAuditEvents,
  type DbOrTx,
  findOrder,
  tasksForNotification,
} from '@paidflow/db';
import { type Html, html } from '../delivery/html.ts';
import { formatDate } from '../delivery/messages.ts';
import type { DeliveryDeps, DeliveryOutcome } from './deliver.ts';
import type { Mail } from './notifier.ts';
import type { NotificationOf } from './payloads.ts';

/** What a customer's batch notification is built from: the order and every one of its tasks. */
export interface OrderNotice {
  order: { id: number; order_code: string; user_email: string; order_status: OrderStatus };
  tasks: Array<{ id: number; title: string; status: TaskStatus; drive_link: string | null }>;
  /** The order's download page and until when it works; null when nothing has one. */
  page?: { url: string; expiresAt: Date } | null;
  /** True only when an admin alert about the order was in fact sent (admin_alert_sent). */
  alertSent?: boolean;
}

function notReadyWords(status: TaskStatus): string {
  if (status === 'failed') return 'could not be delivered';
  if (status === 'cancelled') return 'cancelled';
  return `not ready (${status})`;
}

/** The page's URL: a course's link without its #course anchor. */
function pageOf(link: string): string {
  return link.replace(/#.*$/, '');
}

/**
 * The customer's e-mail for an ended order (one per order, however many tasks it has), as text
 * and HTML: the courses that are ready, with the download page, and those that are not. It says
 * that the team was told only when an alert was sent; otherwise it asks the customer to reply.
 */
export function orderCompletedMail(notice: OrderNotice): Mail {
  const { order, tasks } = notice;
  const ready = tasks.filter((task) => task.status === 'completed');
  const notReady = tasks.filter((task) => task.status !== 'completed');
  const page = notice.page ?? null;
  const subject =
    order.order_status === 'completed'
      ? `Your order ${order.order_code} is ready`
      : `Your order ${order.order_code} has finished: ${ready.length} of ${tasks.length} courses delivered`;
  const summary =
    notReady.length === 0
      ? `All ${tasks.length} ${tasks.length === 1 ? 'course is' : 'courses are'} ready to download.`
      : `${ready.length} of ${tasks.length} courses ${ready.length === 1 ? 'is' : 'are'} ready to download.`;
  const validity = page ? `valid until ${formatDate(page.expiresAt, 'en')}` : null;
  const closing =
    notReady.length === 0
      ? 'If anything is missing, reply to this e-mail and we will help.'
      : notice.alertSent
        ? 'Our team has been alerted about the courses that are not ready and will contact you.'
        : 'Reply to this e-mail about the courses that are not ready and we will help.';

  const text = [
    'Hello,',
    '',
    `Order ${order.order_code}: ${summary}`,
    ...(page ? ['', `Your download page (${validity}):`, page.url] : []),
    ...(ready.length > 0
      ? [
          '',
          'Ready:',
          ...ready.map((task) => `- ${task.title}${task.drive_link ? `: ${task.drive_link}` : ''}`),
        ]
      : []),
    ...(notReady.length > 0
      ? ['', 'Not ready:', ...notReady.map((task) => `- ${task.title}: ${notReadyWords(task.status)}`)]
      : []),
    '',
    closing,
    '',
    '— Paidflow',
  ].join('\n');

  const link = (href: string, label: string | Html) =>
    html`<a href="${href}" style="color:#0b62c4">${label}</a>`;
  const body = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2430;line-height:1.5">
<p>Hello,</p>
<p>Order <strong>${order.order_code}</strong>: ${summary}</p>
${
  page
    ? html`<p>${link(page.url, html`<strong>Open your download page</strong>`)}<br><span style="color:#5b6675">${validity}</span></p>`
    : ''
}
${
  ready.length > 0
    ? html`<h2 style="font-size:16px">Ready</h2><ul>${ready.map(
        (task) => html`<li>${task.drive_link ? link(task.drive_link, task.title) : task.title}</li>`,
      )}</ul>`
    : ''
}
${
  notReady.length > 0
    ? html`<h2 style="font-size:16px">Not ready</h2><ul>${notReady.map(
        (task) => html`<li>${task.title}: ${notReadyWords(task.status)}</li>`,
      )}</ul>`
    : ''
}
<p>${closing}</p>
<p>— Paidflow</p>
</body></html>`;
  return { to: order.user_email, subject, text, html: body.value };
}

/** The customer's batch notification of an ended order, audited as notification_sent. */
export async function deliverOrderNotification(
  deps: DeliveryDeps,
  tx: DbOrTx,
  outboxId: number,
  payload: NotificationOf<'order_completed'>,
): Promise<DeliveryOutcome> {
  const order = await findOrder(tx, payload.orderId);
  if (!order) return 'skipped';
  const tasks = await tasksForNotification(tx, order.id);
  // Issuing (and re-issuing) a link points every delivered task's drive_link at it: the page is
  // the one a task's link names, when that is the order's active link (its token starts so).
  const active = await activeDeliveryLink(tx, order.id);
  const linked =
    active && tasks.find((task) => task.drive_link?.includes(`/d/${active.id}.${active.nonce}.`));
  const page =
    active && linked?.drive_link ? { url: pageOf(linked.drive_link), expiresAt: active.expires_at } : null;
  const alertSent = await adminAlertSentFor(tx, order.id);
  await deps.notifier.send(orderCompletedMail({ order, tasks, page, alertSent }));
  await appendAuditEvents(tx, [
    {
      order_id: order.id,
      event_type: 'notification_sent',
      message: `Order ${order.order_status === 'completed' ? 'ready' : 'finished'} notification ${
        payload.resentBy ? `sent again (asked by ${payload.resentBy})` : 'sent'
      } to the customer`,
      details: {
        channel: deps.notifier.kind,
        to: order.user_email,
        tasks: tasks.length,
        ready: tasks.filter((task) => task.status === 'completed').length,
        link: page !== null,
        alertMentioned: alertSent,
        outboxId,
        ...(payload.resentBy ? { resentBy: payload.resentBy } : {}),
      },
      source: 'notifier',
      dedupe_key: `notification_sent:${outboxId}`,
    },
  ]);
  return 'sent';
}
