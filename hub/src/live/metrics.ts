import { Counter, Gauge, type Registry } from 'prom-client';

export interface LiveMetrics {
  clients: Gauge<'transport'>;
  framesSent: Counter<'transport'>;
  coalesced: Counter<'transport'>;
  dropped: Counter<'transport' | 'reason'>;
  badFrames: Counter<'reason'>;
}

/** The live stream's series in the app's registry (or a private one when none is given). */
export function liveMetrics(registry?: Registry): LiveMetrics {
  const registers = registry ? [registry] : [];
  return {
    clients: new Gauge({
      name: 'drm_hub_live_clients',
      help: 'Live stream clients connected now, by transport (ws, sse)',
      labelNames: ['transport'] as const,
      registers,
    }),
    framesSent: new Counter({
      name: 'drm_hub_live_frames_sent_total',
      help: 'Frames written to live stream clients',
      labelNames: ['transport'] as const,
      registers,
    }),
    coalesced: new Counter({
      name: 'drm_hub_live_frames_coalesced_total',
      help: 'Frames replaced by a newer one of the same key while their client was slow',
      labelNames: ['transport'] as const,
      registers,
    }),
    dropped: new Counter({
      name: 'drm_hub_live_clients_dropped_total',
      help: 'Live stream clients disconnected by the hub: too slow, too far behind, no pong, session ended',
      labelNames: ['transport', 'reason'] as const,
      registers,
    }),
    badFrames: new Counter({
      name: 'drm_hub_live_bad_frames_total',
      help: 'Client frames refused: not JSON, not a known frame, binary',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
