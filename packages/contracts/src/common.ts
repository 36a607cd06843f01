import { z } from 'zod';

/** A database id: a positive integer. */
export const Id = z.int().positive();
export type Id = z.infer<typeof Id>;

/** Milliseconds since the epoch; every live (Redis) payload carries one. */
export const EpochMs = z.int().nonnegative();

/** Opaque keyset cursor handed back by a paged query. */
export const Cursor = z.string().min(1).max(200);

/** One page of a keyset-paged list: its items, and the next page's cursor (null on the last). */
export const keysetPage = <Item extends z.ZodType>(item: Item) =>
  z.object({ items: z.array(item), nextCursor: Cursor.nullable() });
