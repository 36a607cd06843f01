import { parseEnvOrExit } from '@paidflow/contracts';
import { z } from 'zod';

const Env = z.object({
  COURSE_SOURCE_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  COURSE_SOURCE_HOST: z.string().default('127.0.0.1'),
  /** Throttle of ordinary courses, bytes per second (0 = unthrottled): ~4 MB/s makes progress visible. */
  COURSE_SOURCE_BPS: z.coerce
    .number()
    .int()
    .min(0)
    .default(4 * 1024 * 1024),
  COURSE_SOURCE_FILES: z.coerce.number().int().min(1).max(1000).default(3),
  COURSE_SOURCE_MIN_FILE_SIZE: z.coerce
    .number()
    .int()
    .min(0)
    .default(1024 * 1024),
  COURSE_SOURCE_MAX_FILE_SIZE: z.coerce
    .number()
    .int()
    .min(0)
    .default(20 * 1024 * 1024),
});

export type CourseSourceEnv = z.infer<typeof Env>;

/** The course source CLI's environment; names every bad variable and exits. */
export function loadCourseSourceEnv(source: NodeJS.ProcessEnv = process.env): CourseSourceEnv {
  return parseEnvOrExit(Env, source);
}
