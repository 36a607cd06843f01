import { createLogger, logUnhandledRejections, stopOnSignals } from '@paidflow/runtime';
import { startCourseSource } from './course-source.ts';
import { loadCourseSourceEnv } from './env.ts';

const env = loadCourseSourceEnv();
const logger = createLogger('info', 'course-source');
logUnhandledRejections(logger);

const source = await startCourseSource({
  port: env.COURSE_SOURCE_PORT,
  host: env.COURSE_SOURCE_HOST,
  bytesPerSecond: env.COURSE_SOURCE_BPS,
  files: env.COURSE_SOURCE_FILES,
  minFileSize: env.COURSE_SOURCE_MIN_FILE_SIZE,
  maxFileSize: env.COURSE_SOURCE_MAX_FILE_SIZE,
});
logger.info(
  {
    url: source.url,
    example: source.manifestUrl('intro-to-typescript'),
    bytesPerSecond: env.COURSE_SOURCE_BPS,
  },
  'course source listening',
);

stopOnSignals({ logger, stop: () => source.close(), forceAfterMs: 5_000 });
