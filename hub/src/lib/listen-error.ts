/**
 * A port that cannot be opened, named by the setting that chose it, so the message tells
 * people which variable to change.
 */
export class ListenError extends Error {
  constructor(
    readonly setting: string,
    port: number,
    host: string,
    cause: NodeJS.ErrnoException,
  ) {
    const why = cause.code === 'EADDRINUSE' ? 'is already in use' : `cannot be opened (${cause.code})`;
    super(`${setting} ${port} on ${host} ${why}: set ${setting} to another port (0 picks a free one)`, {
      cause,
    });
    this.name = 'ListenError';
  }
}
