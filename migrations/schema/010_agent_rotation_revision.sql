-- A rotation ends on the acknowledgement that names its id (009), so the config revision that
-- first delivered the password is no longer read: the column goes.
ALTER TABLE agents
  DROP CONSTRAINT agents_pending_secret,
  DROP COLUMN pending_secret_revision,
  ADD CONSTRAINT agents_pending_secret CHECK (
    (pending_secret_hash IS NULL) = (pending_secret IS NULL)
    AND (pending_secret IS NULL) = (rotation_requested_at IS NULL)
    AND (pending_secret IS NULL) = (pending_secret_id IS NULL)
  );
