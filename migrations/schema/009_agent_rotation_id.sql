-- A credential rotation has an id, which the config that delivers the new password carries and
-- the agent's acknowledgement names: the rotation ends on that acknowledgement only (an
-- acknowledgement of some revision is no proof that the agent stored the password; it may
-- have ignored that config as stale).
ALTER TABLE agents
  ADD COLUMN pending_secret_id uuid,
  DROP CONSTRAINT agents_pending_secret,
  ADD CONSTRAINT agents_pending_secret CHECK (
    (pending_secret_hash IS NULL) = (pending_secret IS NULL)
    AND (pending_secret IS NULL) = (pending_secret_revision IS NULL)
    AND (pending_secret IS NULL) = (rotation_requested_at IS NULL)
    AND (pending_secret IS NULL) = (pending_secret_id IS NULL)
  );
