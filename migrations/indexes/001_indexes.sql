-- Indexes for the API's lists (newest first, keyset paging on (time, id)), the hub's
-- dispatch and ingestion paths, and the foreign keys that cascade or set null.
-- Unique constraints already index: auth_tokens.token_hash, enrollment_tokens.token_hash,
-- agents.mqtt_username, users lower(email), and each (tenant_id, lower(name)).

-- Login: the tenants of a user.
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX auth_tokens_user_idx ON auth_tokens (user_id);

CREATE INDEX agents_site_idx ON agents (tenant_id, site_id);
CREATE INDEX enrollment_tokens_site_idx ON enrollment_tokens (tenant_id, site_id);
CREATE INDEX devices_site_idx ON devices (tenant_id, site_id);
CREATE INDEX devices_agent_idx ON devices (tenant_id, agent_id) WHERE agent_id IS NOT NULL;

-- GET …/jobs, optionally ?status=.
CREATE INDEX jobs_created_idx ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_status_idx ON jobs (tenant_id, status, created_at DESC, id DESC);
-- ?deviceId= and a device's history; ?agentId= and redelivery of unreceipted targets.
CREATE INDEX job_targets_device_idx ON job_targets (tenant_id, device_id);
CREATE INDEX job_targets_agent_idx ON job_targets (tenant_id, agent_id, status);

CREATE INDEX job_results_job_idx ON job_results (tenant_id, job_id, id);
CREATE INDEX job_results_device_idx ON job_results (tenant_id, device_id);

-- Charts: one OID of one device over a time range, paged by (ts, id). Also serves the
-- cascade when a device is deleted. Created on the parent, so on every partition.
CREATE INDEX samples_device_idx ON samples (tenant_id, device_id, oid, ts, id);

CREATE INDEX events_received_idx ON events (tenant_id, received_at DESC, id DESC);
CREATE INDEX events_agent_idx ON events (tenant_id, agent_id, received_at DESC) WHERE agent_id IS NOT NULL;
CREATE INDEX events_device_idx ON events (tenant_id, device_id, received_at DESC) WHERE device_id IS NOT NULL;

CREATE INDEX audit_log_at_idx ON audit_log (tenant_id, at DESC, id DESC);

CREATE INDEX mib_objects_name_idx ON mib_objects (name);
