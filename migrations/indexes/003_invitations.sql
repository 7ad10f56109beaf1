-- The admin's list: a tenant's invitations, newest first (token_hash has its unique index).
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id, created_at DESC, id DESC);
