// Creates (or updates) an admin account:
//   ADMIN_PASSWORD=... pnpm --filter @paidflow/server exec tsx src/cli/create-admin.ts --email a@b.c --role operator
//   echo "$PASSWORD" | pnpm --filter @paidflow/server exec tsx src/cli/create-admin.ts --email a@b.c
// or seeds the demo operator and viewer: ... create-admin.ts --demo
// The password is read from ADMIN_PASSWORD or the first line of stdin, never from argv (argv
// shows up in `ps` and in shell history).
import { parseArgs } from 'node:util';
import { AdminRole } from '@paidflow/contracts';
import { createDb } from '@paidflow/db';
import { readFirstLine } from '@paidflow/db/read-secret';
import { z } from 'zod';
import { createAdmin, ensureDemoAdmins } from '../auth/admins.ts';

const USAGE =
  'usage: create-admin.ts --email <email> [--role viewer|operator]  (password from ADMIN_PASSWORD or stdin)\n' +
  '       create-admin.ts --demo';

const CliEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL')
    .default('mysql://root@127.0.0.1:3306/paidflow'),
  ADMIN_PASSWORD: z.string().optional(),
});

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string', default: 'viewer' },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = CliEnv.safeParse(process.env);
  if (!env.success)
    fail(`invalid environment: ${env.error.issues.map((issue) => issue.path.join('.')).join(', ')}`);

  const database = createDb({ url: env.data.DATABASE_URL, connectionLimit: 1 });
  try {
    if (values.demo) {
      if (env.data.NODE_ENV === 'production') fail('refusing to create demo accounts in production');
      const created = await ensureDemoAdmins(database.db);
      console.log(
        created.length ? `demo admins created: ${created.join(', ')}` : 'demo admins already exist',
      );
      return;
    }
    const email = z.email().safeParse(values.email?.trim().toLowerCase());
    if (!email.success) fail(`--email is missing or not an e-mail\n${USAGE}`);
    const role = AdminRole.safeParse(values.role);
    if (!role.success) fail(`--role must be viewer or operator\n${USAGE}`);
    const password = env.data.ADMIN_PASSWORD ?? (await readFirstLine());
    const id = await createAdmin(database.db, { email: email.data, password, role: role.data });
    console.log(`admin ${email.data} (${role.data}) saved with id ${id}`);
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(`create-admin failed: ${(error as Error).message}`);
  process.exit(1);
});
