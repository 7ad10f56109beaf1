-- Roles, context functions and the global (not tenant-owned) tables.
--
-- The hub connects as the owner of these objects and switches, inside each transaction, to
-- drm_app (bound by row-level security) or drm_system (cross-tenant lookups only). Roles
-- are cluster-wide: several databases of one cluster share them, so creation tolerates a
-- role that already exists or that another database is creating at the same moment.

DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT * FROM (VALUES
      ('drm_app', 'NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE'),
      ('drm_system', 'NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE')
    ) AS v(name, attrs)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I %s', r.name, r.attrs);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a migration of another database
      END;
    END IF;
    IF NOT pg_has_role(current_user, r.name, 'MEMBER') THEN
      BEGIN
        EXECUTE format('GRANT %I TO %I', r.name, current_user);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;

  -- A pre-existing role with the wrong attributes would silently defeat row-level security.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drm_app' AND (rolsuper OR rolbypassrls)) THEN
    RAISE EXCEPTION 'role drm_app must be NOSUPERUSER NOBYPASSRLS';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drm_system' AND rolsuper) THEN
    RAISE EXCEPTION 'role drm_system must be NOSUPERUSER';
  END IF;
END
$$;

-- The tenant and user of the current transaction, set with set_config(..., true) by the hub.
-- current_setting(..., true) yields NULL or '' when unset: no tenant means no rows.
CREATE OR REPLACE FUNCTION drm_current_tenant() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION drm_current_user() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE OR REPLACE FUNCTION drm_touch_updated_at() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_id uuid REFERENCES tenants (id),
  kind text NOT NULL CHECK (kind IN ('msp', 'customer')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- An MSP is a root; a customer always belongs to an MSP.
  CONSTRAINT tenants_parent_by_kind CHECK (
    (kind = 'msp' AND parent_id IS NULL) OR (kind = 'customer' AND parent_id IS NOT NULL)
  )
);
-- NULLS NOT DISTINCT (PostgreSQL 15+) so two MSPs cannot share a name either.
CREATE UNIQUE INDEX tenants_parent_name_key ON tenants (parent_id, lower(name)) NULLS NOT DISTINCT;
CREATE TRIGGER tenants_touch BEFORE UPDATE ON tenants
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (position('@' IN email) > 1),
  name text NOT NULL DEFAULT '',
  -- NULL until the user sets a password (an invited user).
  password_hash text,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_touch BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE auth_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('session', 'api')),
  name text,
  -- sha-256 of the token: the token itself is never stored.
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Catalogs: global reference data, read by everyone, written by migrations only.
CREATE TABLE mib_objects (
  oid text PRIMARY KEY CHECK (oid ~ '^[0-9]+(\.[0-9]+)*$'),
  name text NOT NULL,
  module text NOT NULL,
  syntax text,
  access text,
  description text
);

CREATE TABLE tr181_parameters (
  -- Multi-instance objects are written with {i}: Device.IP.Interface.{i}.Enable.
  path text PRIMARY KEY CHECK (path LIKE 'Device.%'),
  -- TR-106 section 3.2 data types, as named on the wire.
  type text NOT NULL CHECK (
    type IN ('string', 'int', 'unsignedInt', 'boolean', 'dateTime', 'base64', 'long', 'unsignedLong', 'hexBinary')
  ),
  writable boolean NOT NULL DEFAULT false,
  description text,
  version text
);
