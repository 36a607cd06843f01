import { InvalidCursorError } from '@paidflow/db';
import { AppError, isUnavailableError } from '../errors.ts';

/**
 * Runs a read for a procedure and names its expected failures: a malformed cursor is bad input,
 * an unreachable MySQL (or Redis) is UNAVAILABLE. Anything else stays unexpected (logged as such).
 */
export async function read<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof InvalidCursorError)
      throw new AppError('INVALID_INPUT', error.message, { cause: error });
    if (isUnavailableError(error)) {
      throw new AppError('UNAVAILABLE', 'the database is unavailable; try again shortly', { cause: error });
    }
    throw error;
  }
}
