-- Tenant-owned inventory: memberships, sites, credentials, agents, enrollment tokens, devices.
--
-- Every tenant-owned table starts its primary key with tenant_id (so Citus can distribute by
-- it) and references other tenant-owned rows through (tenant_id, x_id), so a row can never
-- point into another tenant.

CREATE TABLE memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE sites (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  address text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX sites_name_key ON sites (tenant_id, lower(name));
CREATE TRIGGER sites_touch BEFORE UPDATE ON sites
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE credentials (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL CHECK (kind IN ('snmp-community', 'snmp-v3', 'cwmp')),
  version text CHECK (version IN ('1', '2c', '3')),
  -- Non-secret descriptors, safe to return from the API.
  username text,
  security_level text CHECK (security_level IN ('noAuthNoPriv', 'authNoPriv', 'authPriv')),
  auth_protocol text,
  priv_protocol text,
  -- AES-256-GCM ciphertext made by the hub; key_id names the key that sealed it.
  secret bytea NOT NULL,
  key_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX credentials_name_key ON credentials (tenant_id, lower(name));
CREATE TRIGGER credentials_touch BEFORE UPDATE ON credentials
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE agents (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  version text,
  -- Broker authentication looks agents up by user name before any tenant is known.
  mqtt_username text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  state text NOT NULL DEFAULT 'never' CHECK (state IN ('never', 'online', 'offline')),
  last_seen_at timestamptz,
  config_revision bigint NOT NULL DEFAULT 0,
  acked_config_revision bigint NOT NULL DEFAULT 0,
  outbox_count bigint NOT NULL DEFAULT 0,
  outbox_bytes bigint NOT NULL DEFAULT 0,
  outbox_oldest_at timestamptz,
  outbox_dropped bigint NOT NULL DEFAULT 0,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id)
);
CREATE TRIGGER agents_touch BEFORE UPDATE ON agents
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE enrollment_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL,
  -- sha-256 of the single-use token.
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  agent_id uuid,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id) ON DELETE CASCADE,
  -- Column list on SET NULL (PostgreSQL 15+): keep tenant_id, clear only agent_id.
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
);

CREATE TABLE devices (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  site_id uuid NOT NULL,
  agent_id uuid,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  address text NOT NULL,
  description text,
  tags text[] NOT NULL DEFAULT '{}',
  -- Protocol profiles: {version, port, credentialId, timeoutMs, retries, maxRepetitions}
  -- for SNMP; TR-181 access settings likewise. NULL: the protocol is not used.
  snmp jsonb CHECK (snmp IS NULL OR jsonb_typeof(snmp) = 'object'),
  tr181 jsonb CHECK (tr181 IS NULL OR jsonb_typeof(tr181) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, site_id) REFERENCES sites (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
);
CREATE UNIQUE INDEX devices_name_key ON devices (tenant_id, lower(name));
CREATE TRIGGER devices_touch BEFORE UPDATE ON devices
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();
