import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

declare module 'fastify' {
  interface FastifyInstance {
    /** Named readiness probes; infrastructure plugins add theirs (database, broker, …). */
    readyChecks: Map<string, () => Promise<void>>;
  }
}

const Health = z.object({ status: z.literal('ok') });
const Ready = z.object({
  status: z.enum(['ready', 'not-ready']),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
});

/** `/health`: the process answers. `/ready`: every dependency answers within a second. */
export const healthRoutes: FastifyPluginAsync = async (app) => {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/health',
    { schema: { tags: ['ops'], summary: 'Liveness', response: { 200: Health } } },
    async () => ({ status: 'ok' as const }),
  );
  r.get(
    '/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'Readiness: database and broker reachable',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, { ok: boolean; error?: string }> = {};
      await Promise.all(
        [...app.readyChecks].map(async ([name, check]) => {
          try {
            await withTimeout(check(), 1000);
            checks[name] = { ok: true };
          } catch (err) {
            checks[name] = { ok: false, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      const ready = Object.values(checks).every((c) => c.ok);
      reply.code(ready ? 200 : 503);
      return { status: ready ? ('ready' as const) : ('not-ready' as const), checks };
    },
  );
};

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
