/** Characters a POSIX shell reads literally outside quotes. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `value` as one shell word: as is when safe, else in single quotes (RFC-free POSIX rules). */
export function shellQuote(value: string): string {
  if (value !== '' && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface EnrollCommandOptions {
  /** The hub's address as the agent will reach it, e.g. `https://hub.example.com`. */
  hubUrl: string;
  token: string;
  dataDir: string;
  /** Left out: the agent uses its host name. */
  name?: string;
}

/**
 * The commands an edge host runs, as `drm-agent` accepts them: `enroll` stores the identity and
 * MQTT credentials in the data folder, `run` starts the agent from that folder.
 */
export function enrollCommands(o: EnrollCommandOptions): { enroll: string; run: string } {
  const dataDir = o.dataDir.trim() || '/var/lib/drm-agent';
  const name = o.name?.trim();
  const enroll = [
    'npx drm-agent enroll',
    `--hub ${shellQuote(o.hubUrl)}`,
    `--token ${shellQuote(o.token)}`,
    ...(name ? [`--name ${shellQuote(name)}`] : []),
    `--data-dir ${shellQuote(dataDir)}`,
  ].join(' ');
  return { enroll, run: `npx drm-agent run --data-dir ${shellQuote(dataDir)}` };
}
