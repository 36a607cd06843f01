import { z } from 'zod';

const Env = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^mysql:\/\//, 'must be a mysql:// URL')
    .default('mysql://root@127.0.0.1:3306/paidflow'),
});

/** Parses the variables the db command-line tools read; names every bad one and exits. */
export function loadCliEnv(source: NodeJS.ProcessEnv = process.env): z.infer<typeof Env> {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`invalid ${issue.path.join('.')}: ${issue.message}`);
    process.exit(1);
  }
  return parsed.data;
}
