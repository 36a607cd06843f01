/** What one pass of the outbox did. */
export interface DrainResult {
  dispatched: number;
  failed: number;
}

export function errorText(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
