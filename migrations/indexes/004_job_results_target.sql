-- One index in the target's key order serves what the two before it did: the results of a job
-- listed by device (the results API pages them in (device, id) order), the parts of one
-- target's split result, and the cascade from a deleted target (schema/011). A row stored
-- now updates three indexes instead of four.
DROP INDEX job_results_job_idx;
DROP INDEX job_results_device_idx;
CREATE INDEX job_results_target_idx ON job_results (tenant_id, job_id, device_id, id);
