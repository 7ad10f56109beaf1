import type { z } from 'zod';
import type { SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel } from './snmp.js';

interface V3Fields {
  securityLevel?: SnmpSecurityLevel | undefined;
  authProtocol?: SnmpAuthProtocol | undefined;
  authKey?: string | undefined;
  privProtocol?: SnmpPrivProtocol | undefined;
  privKey?: string | undefined;
}

type Issues = z.core.$ZodRawIssue[];

function need(issues: Issues, value: unknown, field: keyof V3Fields, level: string): void {
  if (value === undefined) {
    issues.push({
      code: 'custom',
      path: [field],
      message: `${field} is required for ${level}`,
      input: value,
    });
  }
}

function forbid(issues: Issues, value: unknown, field: keyof V3Fields, level: string): void {
  if (value !== undefined) {
    issues.push({
      code: 'custom',
      path: [field],
      message: `${field} must not be set for ${level}`,
      input: value,
    });
  }
}

/**
 * RFC 3414 section 3.1.2: authNoPriv needs an authentication protocol and key; authPriv needs
 * both pairs; noAuthNoPriv takes neither. A field the level does not use is an error rather
 * than ignored, so a mistyped level does not silently drop a key.
 *
 * @param requireKeys false for updates, where a key left out keeps the stored one.
 */
export function checkV3Security(fields: V3Fields, issues: Issues, requireKeys = true): void {
  const level = fields.securityLevel;
  if (level === undefined) return;
  const auth = level !== 'noAuthNoPriv';
  const priv = level === 'authPriv';
  if (auth) {
    need(issues, fields.authProtocol, 'authProtocol', level);
    if (requireKeys) need(issues, fields.authKey, 'authKey', level);
  } else {
    forbid(issues, fields.authProtocol, 'authProtocol', level);
    forbid(issues, fields.authKey, 'authKey', level);
  }
  if (priv) {
    need(issues, fields.privProtocol, 'privProtocol', level);
    if (requireKeys) need(issues, fields.privKey, 'privKey', level);
  } else {
    forbid(issues, fields.privProtocol, 'privProtocol', level);
    forbid(issues, fields.privKey, 'privKey', level);
  }
}
