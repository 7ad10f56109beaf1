import { describe, expect, it } from 'vitest';
import { beginWithScope, tenantScope } from '../../src/db/context.js';
import { InvalidContextError } from '../../src/db/errors.js';

describe('beginWithScope', () => {
  const tenant = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
  const user = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';

  it('opens the transaction and sets role, tenant and user in one string', () => {
    expect(beginWithScope(tenantScope({ tenantId: tenant.toUpperCase(), userId: user }))).toBe(
      `BEGIN; SELECT set_config('role', 'drm_app', true), set_config('app.tenant_id', '${tenant}', true), ` +
        `set_config('app.user_id', '${user}', true)`,
    );
    expect(beginWithScope({ kind: 'system' })).toContain("set_config('role', 'drm_system', true)");
    expect(beginWithScope({ kind: 'owner' })).toBe('BEGIN');
  });

  it('refuses a scope whose ids would not be UUIDs inside the literal', () => {
    const quote = `${tenant}', true); DROP TABLE jobs; --`;
    expect(() => beginWithScope({ kind: 'tenant', tenantId: quote, userId: null })).toThrow(
      InvalidContextError,
    );
    expect(() => beginWithScope({ kind: 'tenant', tenantId: tenant, userId: "x'" })).toThrow(
      InvalidContextError,
    );
  });
});
