-- Schedules (recurring polls pushed to agents as desired state), jobs and their outcomes.

CREATE TABLE schedules (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind text NOT NULL,
  -- No foreign key can cover an array; the hub drops ids of deleted devices when it
  -- builds an agent's desired state.
  device_ids uuid[] NOT NULL DEFAULT '{}',
  params jsonb NOT NULL DEFAULT '{}',
  interval_seconds integer NOT NULL CHECK (interval_seconds BETWEEN 10 AND 86400),
  jitter_pct integer NOT NULL DEFAULT 10 CHECK (jitter_pct BETWEEN 0 AND 50),
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE TRIGGER schedules_touch BEFORE UPDATE ON schedules
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE jobs (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  params jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'queued' CHECK (
    status IN ('queued', 'dispatched', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'expired')
  ),
  total_targets integer NOT NULL DEFAULT 0 CHECK (total_targets >= 0),
  done_targets integer NOT NULL DEFAULT 0 CHECK (done_targets >= 0),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  cancel_requested_at timestamptz,
  expires_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION drm_touch_updated_at();

CREATE TABLE job_targets (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  job_id uuid NOT NULL,
  device_id uuid NOT NULL,
  -- The agent the target was dispatched to; NULL when the device had none.
  agent_id uuid,
  status text NOT NULL DEFAULT 'queued' CHECK (
    status IN ('queued', 'dispatched', 'running', 'succeeded', 'failed', 'partial', 'cancelled', 'expired')
  ),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  dispatched_at timestamptz,
  -- When the agent confirmed the job is in its inbox (a broker PUBACK is not a receipt).
  receipted_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  error jsonb,
  progress jsonb,
  PRIMARY KEY (tenant_id, job_id, device_id),
  FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
);

-- One row per result record the agent sent. id is the agent's UUIDv7, so the hub inserts
-- with ON CONFLICT DO NOTHING and a replayed batch never duplicates.
CREATE TABLE job_results (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  job_id uuid NOT NULL,
  device_id uuid NOT NULL,
  agent_id uuid,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  varbinds jsonb,
  tr181 jsonb,
  error jsonb,
  -- A result split over several records (a long walk): this record's place among them.
  part_index integer CHECK (part_index >= 0),
  part_count integer CHECK (part_count >= 1),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT job_results_part CHECK (
    (part_index IS NULL AND part_count IS NULL) OR (part_index IS NOT NULL AND part_index < part_count)
  ),
  FOREIGN KEY (tenant_id, job_id) REFERENCES jobs (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id)
);
