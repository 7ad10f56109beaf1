-- Privileges. Nothing is granted to PUBLIC; the hub's owner connection switches to drm_app
-- or drm_system inside each transaction (SET LOCAL ROLE), so these grants are the whole
-- surface a request can reach. Row-level security (rls phase) then narrows drm_app to the
-- current tenant.

-- Tables start with no PUBLIC privileges; functions start executable by PUBLIC.
REVOKE EXECUTE ON FUNCTION
  drm_current_tenant(), drm_current_user(), drm_touch_updated_at(),
  drm_ensure_sample_partitions(date, integer)
  FROM PUBLIC;

GRANT EXECUTE ON FUNCTION drm_current_tenant(), drm_current_user(), drm_touch_updated_at()
  TO drm_app, drm_system;
-- drm_ensure_sample_partitions stays with the owner: it creates tables.

-- drm_app: tenant-scoped requests, agents' messages, ingestion.
GRANT SELECT, INSERT, UPDATE, DELETE ON
  memberships, sites, credentials, agents, enrollment_tokens, devices,
  schedules, jobs, job_targets, job_results, samples, events
  TO drm_app;
-- The audit log is append-only for requests.
GRANT SELECT, INSERT ON audit_log TO drm_app;
GRANT SELECT ON mib_objects, tr181_parameters TO drm_app;
GRANT SELECT, UPDATE (name, updated_at) ON tenants TO drm_app;
-- Never password_hash: the hash is read and written only by drm_system (login, password set).
GRANT SELECT (id, email, name, disabled_at, created_at, updated_at, last_login_at) ON users TO drm_app;
GRANT INSERT (id, email, name) ON users TO drm_app;
GRANT UPDATE (email, name, updated_at) ON users TO drm_app;
-- A user's own tokens (list, create an API token, revoke); token_hash is not readable.
GRANT SELECT (id, user_id, kind, name, created_at, expires_at, last_used_at, revoked_at) ON auth_tokens
  TO drm_app;
GRANT INSERT (id, user_id, kind, name, token_hash, expires_at) ON auth_tokens TO drm_app;
GRANT UPDATE (name, last_used_at, revoked_at) ON auth_tokens TO drm_app;
GRANT DELETE ON auth_tokens TO drm_app;

-- drm_system: what happens before a tenant is known or across tenants.
--   login and token lookup: users, auth_tokens, memberships, tenants
--   tenant creation: tenants, memberships, users (its first admin), audit_log
--   enrollment: enrollment_tokens, sites, agents, events (agent.enrolled)
--   broker authentication and presence: agents
--   expiry sweep of jobs across tenants: jobs, job_targets
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, memberships, auth_tokens TO drm_system;
GRANT SELECT, INSERT, UPDATE ON users, agents TO drm_system;
GRANT SELECT, UPDATE ON enrollment_tokens, jobs, job_targets TO drm_system;
GRANT SELECT ON sites, mib_objects, tr181_parameters TO drm_system;
GRANT SELECT, INSERT ON audit_log, events TO drm_system;
