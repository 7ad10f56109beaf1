-- Row-level security. drm_app sees and writes only the rows of drm_current_tenant(); with
-- no tenant set, drm_current_tenant() is NULL and every comparison is false: no rows.
-- drm_system has BYPASSRLS. FORCE makes the policies bind a non-superuser table owner too.
-- Policies without a TO clause apply to every role that holds a privilege on the table.

-- Tenant-owned tables.
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE sites ENABLE ROW LEVEL SECURITY;
ALTER TABLE sites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sites
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON credentials
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE agents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON agents
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE enrollment_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrollment_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON enrollment_tokens
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON devices
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON schedules
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE job_targets ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_targets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_targets
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE job_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON job_results
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

-- On the partitioned parent: queries through samples are filtered. The partitions carry
-- no grants at all, so they cannot be queried directly around the policy.
ALTER TABLE samples ENABLE ROW LEVEL SECURITY;
ALTER TABLE samples FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON samples
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE events ENABLE ROW LEVEL SECURITY;
ALTER TABLE events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON events
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log
  USING (tenant_id = drm_current_tenant()) WITH CHECK (tenant_id = drm_current_tenant());

-- tenants: the current tenant, its parent MSP, and (from an MSP) its customers.
-- The parent is looked up by a SECURITY DEFINER function because a policy on tenants that
-- queried tenants would recurse. For the same reason tenants is not FORCEd: the function
-- reads as the owner, and the owner must not be bound by this policy.
CREATE OR REPLACE FUNCTION drm_current_tenant_parent() RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$ SELECT parent_id FROM public.tenants WHERE id = public.drm_current_tenant() $$;
REVOKE EXECUTE ON FUNCTION drm_current_tenant_parent() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION drm_current_tenant_parent() TO drm_app, drm_system;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_visible ON tenants FOR SELECT TO drm_app
  USING (
    id = drm_current_tenant()
    OR id = drm_current_tenant_parent()
    OR parent_id = drm_current_tenant()
  );
CREATE POLICY tenants_update ON tenants FOR UPDATE TO drm_app
  USING (id = drm_current_tenant()) WITH CHECK (id = drm_current_tenant());

-- users: members of the current tenant, and the acting user. A tenant admin may add a user
-- (column grants keep password_hash out of reach); users edit only themselves.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_visible ON users FOR SELECT TO drm_app
  USING (
    id = drm_current_user()
    OR EXISTS (
      SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = drm_current_tenant()
    )
  );
CREATE POLICY users_insert ON users FOR INSERT TO drm_app
  WITH CHECK (drm_current_tenant() IS NOT NULL);
CREATE POLICY users_update_self ON users FOR UPDATE TO drm_app
  USING (id = drm_current_user()) WITH CHECK (id = drm_current_user());

-- auth_tokens: only the acting user's own.
ALTER TABLE auth_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY auth_tokens_own ON auth_tokens TO drm_app
  USING (user_id = drm_current_user()) WITH CHECK (user_id = drm_current_user());
