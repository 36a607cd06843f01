/**
 * Tasks per order: the first order (the one the order page opens) gets `firstOrderTasks`, the
 * others share the rest as evenly as they can (the larger shares first).
 */
export function spreadTasks(options: { orders: number; tasks: number; firstOrderTasks: number }): number[] {
  const { orders, tasks, firstOrderTasks } = options;
  if (orders < 1) return [];
  if (orders === 1) return [Math.max(firstOrderTasks, tasks)];
  const rest = Math.max(0, tasks - firstOrderTasks);
  const others = orders - 1;
  const base = Math.floor(rest / others);
  const extra = rest - base * others;
  return [firstOrderTasks, ...Array.from({ length: others }, (_, i) => base + (i < extra ? 1 : 0))];
}
