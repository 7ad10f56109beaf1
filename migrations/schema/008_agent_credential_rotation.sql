-- Rotation of an agent's MQTT password. The new password waits beside the old one: hashed
-- (scrypt) for the broker's login check, which accepts either while it waits, and sealed with
-- the hub's key (AES-256-GCM) for its one delivery, in the agent's config at the revision
-- `pending_secret_revision`. When the agent acknowledges that revision (it stored the password
-- first), the new hash replaces the old one and the sealed copy is deleted.
ALTER TABLE agents
  ADD COLUMN pending_secret_hash text,
  ADD COLUMN pending_secret bytea,
  ADD COLUMN pending_secret_revision integer,
  ADD COLUMN rotation_requested_at timestamptz,
  ADD COLUMN credentials_rotated_at timestamptz,
  ADD CONSTRAINT agents_pending_secret CHECK (
    (pending_secret_hash IS NULL) = (pending_secret IS NULL)
    AND (pending_secret IS NULL) = (pending_secret_revision IS NULL)
    AND (pending_secret IS NULL) = (rotation_requested_at IS NULL)
  );
