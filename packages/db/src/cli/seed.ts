import { parseArgs } from 'node:util';
import { createDb, splitDatabaseUrl } from '../client.ts';
import { DEFAULT_COURSE_BASE, isDatabaseEmpty, seedDatabase } from '../seed/index.ts';
import { loadCliEnv } from './env.ts';

const USAGE = 'usage: seed [--orders N (default 200)] [--seed <int>] [--if-empty] [--course-base <url>]';

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      orders: { type: 'string', default: '200' },
      seed: { type: 'string', default: '1' },
      'if-empty': { type: 'boolean', default: false },
      'course-base': { type: 'string', default: DEFAULT_COURSE_BASE },
      help: { type: 'boolean', default: false },
    },
  });
  const orders = Number(values.orders);
  const seed = Number(values.seed);
  if (!Number.isInteger(orders) || orders < 0)
    throw new Error(`--orders must be a whole number: got "${values.orders}"`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer: got "${values.seed}"`);
  if (!/^https?:\/\//.test(values['course-base'])) throw new Error('--course-base must be an http(s) URL');
  return { orders, seed, ifEmpty: values['if-empty'], courseBase: values['course-base'], help: values.help };
}

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`seed: ${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const env = loadCliEnv();
const { database } = splitDatabaseUrl(env.ownerUrl);
const handle = createDb({ url: env.ownerUrl, connectionLimit: 2 });
try {
  if (options.ifEmpty && !(await isDatabaseEmpty(handle))) {
    console.log(`seed: database "${database}" already has orders; nothing to do (--if-empty)`);
  } else {
    const result = await seedDatabase(handle, {
      orders: options.orders,
      seed: options.seed,
      courseBase: options.courseBase,
      onProgress: (p) => {
        if (p.orders < p.total)
          console.log(`seed: ${p.orders}/${p.total} orders (${(p.elapsedMs / 1000).toFixed(1)} s)`);
      },
    });
    console.log(
      `seed: added ${result.orders} orders, ${result.tasks} tasks, ${result.events} audit events to "${database}" in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
  }
} catch (error) {
  const code = (error as { code?: string }).code;
  const hint =
    code === 'ER_BAD_DB_ERROR' || code === 'ER_NO_SUCH_TABLE' ? ' (run `npm run migrate` first)' : '';
  console.error(`seed: failed on database "${database}": ${(error as Error).message}${hint}`);
  process.exitCode = 1;
} finally {
  await handle.close();
}
