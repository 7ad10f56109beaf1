-- Invitations to a tenant: an admin invites an email with a role; the invitee accepts with
-- the single-use token, as the account that has that email (logged in) or as a new one. The
-- invitation is the invitee's consent, and inviting tells the admin nothing about accounts.
CREATE TABLE invitations (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  -- Lower case, as users.email is compared.
  email text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 320),
  role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
  -- sha-256 of the single-use token.
  token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);

-- drm_app: an admin's requests in the tenant (the token hash is written, never read back).
GRANT SELECT (tenant_id, id, email, role, invited_by, created_at, expires_at, accepted_at, accepted_by, revoked_at)
  ON invitations TO drm_app;
GRANT INSERT (tenant_id, id, email, role, token_hash, invited_by, expires_at) ON invitations TO drm_app;
GRANT UPDATE (revoked_at) ON invitations TO drm_app;
-- drm_system: the invitee, before any tenant is known, looks the token up and accepts it.
GRANT SELECT, UPDATE ON invitations TO drm_system;
