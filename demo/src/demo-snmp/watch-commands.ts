import type { Options } from './options.js';
import type { Session } from './session.js';

/** A word for a POSIX shell: as it is when plain, else in single quotes. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Text inside a double-quoted shell string. */
const inDoubleQuotes = (text: string) => text.replace(/[\\"$`]/g, '\\$&');

/**
 * The commands that watch the job from another terminal, with a bearer token in `$TOKEN`.
 * No secret is printed: the token comes from DRM_API_TOKEN or from a login that reads the
 * password from where this command found it (a password given with --password is left as a
 * placeholder).
 */
export function watchCommands(opts: Options, session: Session, jobUrl: string): string[] {
  const lines = ['Watch it from another terminal:'];
  let token = '$TOKEN';
  if (session.via.kind === 'token') {
    token = '$DRM_API_TOKEN';
  } else {
    const { source } = session.via;
    const password =
      source.kind === 'env'
        ? '$DRM_DEMO_PASSWORD'
        : source.kind === 'file'
          ? `$(cat ${shellWord(source.path)})`
          : 'YOUR_PASSWORD';
    const json = `{\\"email\\":\\"${inDoubleQuotes(session.email)}\\",\\"password\\":\\"${password}\\"}`;
    lines.push(
      `  # a bearer token: log in as ${session.email}`,
      `  TOKEN=$(curl -s -H 'content-type: application/json' -d "${json}" \\`,
      `    ${shellWord(`${opts.hubUrl}/api/v1/auth/login`)} | node -pe 'JSON.parse(require("fs").readFileSync(0)).token')`,
    );
  }
  const auth = `-H "Authorization: Bearer ${token}"`;
  lines.push(
    '  # its live stream (SSE) until it ends; the job and its targets; what the device answered',
    `  curl -N ${auth} ${shellWord(`${jobUrl}/events`)}`,
    `  curl -s ${auth} ${shellWord(jobUrl)}`,
    `  curl -s ${auth} ${shellWord(`${jobUrl}/results`)}`,
  );
  return lines;
}
