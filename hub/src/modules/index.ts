import type { FastifyPluginAsync } from 'fastify';
import { agentRoutes } from './agents/routes.js';
import { auditRoutes } from './audit/routes.js';
import { authRoutes } from './auth/routes.js';
import { credentialRoutes } from './credentials/routes.js';
import { deviceRoutes } from './devices/routes.js';
import { enrollRoutes } from './enrollment/enroll-routes.js';
import { enrollmentTokenRoutes } from './enrollment/routes.js';
import { eventRoutes } from './events/routes.js';
import { healthRoutes } from './health/routes.js';
import { liveJobEventRoutes, liveRoutes } from '../live/routes.js';
import { allTenantJobRoutes, jobRoutes } from './jobs/routes.js';
import { sampleRoutes } from './samples/routes.js';
import { scheduleRoutes } from './schedules/routes.js';
import { siteRoutes } from './sites/routes.js';
import { tenantRoutes, tenantSelfRoutes } from './tenancy/routes.js';
import { invitationAdminRoutes, invitationRoutes } from './users/invitations.js';
import { userRoutes } from './users/routes.js';

/**
 * Routes outside any tenant: ops endpoints, auth, the tenant list, agent enrollment,
 * invitations, and the lists that span the caller's tenants.
 */
export const features: readonly FastifyPluginAsync[] = [
  healthRoutes,
  authRoutes,
  tenantRoutes,
  allTenantJobRoutes,
  enrollRoutes,
  invitationRoutes,
  liveRoutes,
];

/** Routes under /api/v1/tenants/:tenantId; the scope checks the caller's role first. */
export const tenantFeatures: readonly FastifyPluginAsync[] = [
  tenantSelfRoutes,
  siteRoutes,
  deviceRoutes,
  credentialRoutes,
  enrollmentTokenRoutes,
  agentRoutes,
  jobRoutes,
  liveJobEventRoutes,
  scheduleRoutes,
  sampleRoutes,
  eventRoutes,
  userRoutes,
  invitationAdminRoutes,
  auditRoutes,
];
