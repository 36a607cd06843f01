// The column helpers every table module shares.
import { sql } from 'drizzle-orm';
import { customType, datetime, smallint } from 'drizzle-orm/mysql-core';

export const now = sql`CURRENT_TIMESTAMP(3)`;
export const createdAt = () => datetime('created_at', { mode: 'date', fsp: 3 }).notNull().default(now);
export const updatedAt = () =>
  datetime('updated_at', { mode: 'date', fsp: 3 })
    .notNull()
    .default(now)
    .$onUpdate(() => new Date());
/** Up to 16 MiB of bytes, read and written as a Buffer. */
export const mediumblob = customType<{ data: Buffer; driverData: Buffer }>({
  dataType: () => 'mediumblob',
});
export const counter = (name: string) => smallint(name, { unsigned: true }).notNull().default(0);
