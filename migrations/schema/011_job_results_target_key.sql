-- A result belongs to one target of its job: the (tenant, job, device) row in job_targets.
-- One foreign key to that target replaces the three to tenants, jobs and devices. It says
-- more (a result of a device the job never had is refused, where the three keys let it in),
-- and it costs one check per stored row instead of three: each check is an index lookup and
-- a key-share lock on the referenced row, and together they were two thirds of the time of
-- an insert into this table. Deletions still reach the results: a tenant, job or device
-- deleted deletes its targets (their own keys cascade), and the targets their results.
ALTER TABLE job_results
  DROP CONSTRAINT job_results_tenant_id_fkey,
  DROP CONSTRAINT job_results_tenant_id_job_id_fkey,
  DROP CONSTRAINT job_results_tenant_id_device_id_fkey,
  ADD CONSTRAINT job_results_target_fkey FOREIGN KEY (tenant_id, job_id, device_id)
    REFERENCES job_targets (tenant_id, job_id, device_id) ON DELETE CASCADE NOT VALID;
ALTER TABLE job_results VALIDATE CONSTRAINT job_results_target_fkey;
