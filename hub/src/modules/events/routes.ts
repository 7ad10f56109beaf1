import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ErrorBody, Event, EventQuery, pageOf, TrapEvent } from '@drm/protocol';
import { Errors } from '../../errors.js';
import { decodeCursor, iso, pageFrom } from '../../lib/paging.js';
import { TenantIdParams } from '../../lib/schemas.js';
import { access } from '../tenancy/scope.js';
import { apiKind, type EventRow, getEvent, listEvents } from './repo.js';

const TAGS = ['events'];

function toEvent(row: EventRow): Event {
  const kind = apiKind(row.kind)!;
  // The payload of a trap is the agent's TrapEvent, validated when it arrived; one that no
  // longer parses (an older shape) still lists, without its details.
  const trap = kind === 'trap' ? TrapEvent.safeParse(row.payload) : null;
  return {
    id: row.id,
    tenantId: row.tenantId,
    kind,
    at: iso(row.receivedAt)!,
    agentId: row.agentId,
    deviceId: row.deviceId,
    summary: row.summary,
    trap: trap?.success ? trap.data : null,
  };
}

/** The event log: traps and informs agents received, and agent life-cycle events. Everyone reads. */
export const eventRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/events',
    {
      schema: {
        tags: TAGS,
        summary: 'List events, newest first',
        description:
          'Kind `trap` covers SNMP traps, v1 traps and informs (see `trap.pdu`); `since` is inclusive.',
        querystring: EventQuery,
        response: { 200: pageOf(Event), 400: ErrorBody },
      },
    },
    async (req) => {
      const { limit, cursor, ...filters } = req.query;
      const rows = await app.db.withTenant(access(req), (q) =>
        listEvents(q, { ...filters, cursor: decodeCursor(cursor), limit }),
      );
      return pageFrom(rows, limit, (e) => ({ at: e.cursorAt, id: e.id }), toEvent);
    },
  );

  r.get(
    '/events/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'One event',
        params: TenantIdParams,
        response: { 200: Event, 404: ErrorBody },
      },
    },
    async (req) => {
      const row = await app.db.withTenant(access(req), (q) => getEvent(q, req.params.id));
      if (!row) throw new Errors.NOT_FOUND('Event');
      return toEvent(row);
    },
  );
};
