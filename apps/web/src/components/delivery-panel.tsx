/** The order page's delivery link panel (issue 11, part 1): filled in by that work. */
export function DeliveryPanel(_props: { orderId: number }) {
  return null;
}
