/** The shape of a schema issue (zod's), without depending on zod here. */
export interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * Schema issues as messages by dotted field path (`snmp.port`, `params.oids.0`), the same keys
 * `fieldErrors` makes from the hub's answer, so a form shows both in one place. The first
 * problem of each field wins.
 */
export function issueFields(issues: readonly Issue[], prefix = '', into = new Map<string, string>()) {
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    const key = [prefix, path].filter(Boolean).join('.');
    if (!into.has(key)) into.set(key, issue.message.charAt(0).toUpperCase() + issue.message.slice(1));
  }
  return into;
}
