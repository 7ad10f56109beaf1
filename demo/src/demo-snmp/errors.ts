/**
 * A failure `npm run demo:snmp` explains in words for the person at the terminal; printed
 * without a stack trace. Exit code 1: the job failed, or the hub could not be used.
 */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Wrong arguments, or nothing to log in with: exit code 2. */
export class UsageError extends CommandError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** One line for an error nobody foresaw: its message, never its stack. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, '; ');
}
