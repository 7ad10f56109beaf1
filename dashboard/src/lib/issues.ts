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
    if (!into.has(key)) into.set(key, wording(issue.message));
  }
  return into;
}

/** zod's wording for an empty or non-numeric number field reads like a type error; say it plainly. */
function wording(message: string): string {
  if (/expected (number|int), received (NaN|string)/.test(message)) return 'Enter a whole number';
  return message.charAt(0).toUpperCase() + message.slice(1);
}
