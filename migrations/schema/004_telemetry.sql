-- Time series, events and the audit log: append-mostly tables.

-- Poll samples, partitioned by month. The DEFAULT partition catches rows outside the
-- prepared months so an insert never fails for want of a partition; the hub calls
-- drm_ensure_sample_partitions at start-up and daily, which also moves such rows out.
CREATE TABLE samples (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The agent's UUIDv7: replays are dropped with ON CONFLICT DO NOTHING.
  id uuid NOT NULL,
  device_id uuid NOT NULL,
  -- Not a foreign key: deleting a schedule must not rewrite its history.
  schedule_id uuid,
  ts timestamptz NOT NULL,
  oid text NOT NULL,
  name text,
  value_num double precision,
  value_text text,
  PRIMARY KEY (tenant_id, id, ts),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id) ON DELETE CASCADE
) PARTITION BY RANGE (ts);

CREATE TABLE samples_default PARTITION OF samples DEFAULT;

-- Creates the monthly partitions [from_month, from_month + months) that do not exist yet,
-- with UTC month boundaries, and returns how many it created. Rows of those months already
-- in the DEFAULT partition are moved into the new partition first (ATTACH would refuse).
-- Must run as the owner of samples.
CREATE OR REPLACE FUNCTION drm_ensure_sample_partitions(from_month date, months integer)
  RETURNS integer
  LANGUAGE plpgsql
  AS $$
DECLARE
  first_month date := date_trunc('month', from_month)::date;
  lo timestamptz;
  hi timestamptz;
  part text;
  created integer := 0;
BEGIN
  IF months IS NULL OR months < 1 OR months > 240 THEN
    RAISE EXCEPTION 'months must be between 1 and 240, got %', months;
  END IF;
  FOR i IN 0 .. months - 1 LOOP
    lo := ((first_month + make_interval(months => i))::timestamp) AT TIME ZONE 'UTC';
    hi := ((first_month + make_interval(months => i + 1))::timestamp) AT TIME ZONE 'UTC';
    part := 'samples_' || to_char(first_month + make_interval(months => i), 'YYYY_MM');
    CONTINUE WHEN to_regclass(part) IS NOT NULL;

    EXECUTE format('CREATE TABLE %I (LIKE samples INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    EXECUTE format(
      'WITH moved AS (DELETE FROM samples_default WHERE ts >= %L AND ts < %L RETURNING *)
       INSERT INTO %I SELECT * FROM moved',
      lo, hi, part
    );
    EXECUTE format('ALTER TABLE samples ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    created := created + 1;
  END LOOP;
  RETURN created;
END
$$;

SELECT drm_ensure_sample_partitions(current_date, 3);

CREATE TABLE events (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The agent's UUIDv7 for traps, so replays are dropped; the hub's own for agent events.
  id uuid NOT NULL,
  agent_id uuid,
  device_id uuid,
  -- trap | inform | trapv1 for what an agent received; agent.* for agent life-cycle events.
  kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9.-]{0,63}$'),
  received_at timestamptz NOT NULL DEFAULT now(),
  -- Where it came from, e.g. the trap sender's address and port.
  source text,
  trap_oid text,
  -- One line for lists, e.g. the trap's name or 'agent went offline'.
  summary text NOT NULL DEFAULT '',
  payload jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE SET NULL (agent_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id) ON DELETE SET NULL (device_id)
);

-- Kept when users, agents or targets go away: plain ids, no foreign keys.
CREATE TABLE audit_log (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  at timestamptz NOT NULL DEFAULT now(),
  actor_user_id uuid,
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'agent', 'system', 'api-token')),
  action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
  target_type text NOT NULL,
  target_id text,
  -- Never holds secrets.
  details jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (tenant_id, id)
);
