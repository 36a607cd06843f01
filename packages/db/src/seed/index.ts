export { COURSE_CATALOG, type Course, customerEmail } from './catalog.ts';
export { placeDemoOrder } from './demo-order.ts';
export { seedOrderCode } from './order-story.ts';
export { createRandom, type Random } from './random.ts';
export {
  DEFAULT_COURSE_BASE,
  isDatabaseEmpty,
  type SeedOptions,
  type SeedProgress,
  type SeedTarget,
  seedDatabase,
} from './seed.ts';
