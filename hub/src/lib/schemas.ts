import { z } from 'zod';

/** The response schema of a 204: no body. */
export const NoContent = z.null().describe('No content');

/** Path parameters of a route under a tenant with one resource id. */
export const TenantIdParams = z.object({ tenantId: z.string(), id: z.uuid() });
