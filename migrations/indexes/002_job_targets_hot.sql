-- A target's status moves on every result stored for it. With `status` in an index, each move
-- wrote a new entry into every index of job_targets; without it, the move is a HOT update
-- (no index entry at all) whenever the page has room, which the lower fillfactor keeps.
-- `?agentId=` and the agent's receipts still find the agent's targets by this index; their
-- status is read from the rows.
DROP INDEX job_targets_agent_idx;
CREATE INDEX job_targets_agent_idx ON job_targets (tenant_id, agent_id) WHERE agent_id IS NOT NULL;
ALTER TABLE job_targets SET (fillfactor = 70);
