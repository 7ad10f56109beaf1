import type Database from 'better-sqlite3';
import { z } from 'zod';
import { EnrollResponse, Name, Timestamp, Uuid } from '@drm/protocol';
import { EpochMs, parseRow, toIso, toMs } from './rows.js';

/** Who this agent is and how it reaches the hub, as enrollment returned it. SECRET: `mqtt.password`. */
export const Identity = z.object({
  agentId: Uuid,
  tenantId: Uuid,
  siteId: Uuid,
  name: Name,
  /** Base URL of the hub's HTTP API, as given to `enroll --hub`. */
  hubUrl: z.url({ protocol: /^https?$/ }),
  mqtt: EnrollResponse.shape.mqtt,
  enrolledAt: Timestamp,
  /**
   * The MQTT password before the latest rotation: tried when the hub refuses the latest one
   * (it had not yet learnt that the agent stored it). SECRET.
   */
  previousMqttPassword: z.string().optional(),
});
export type Identity = z.infer<typeof Identity>;

const IdentityRow = z
  .object({
    agent_id: z.string(),
    tenant_id: z.string(),
    site_id: z.string(),
    name: z.string(),
    hub_url: z.string(),
    mqtt_url: z.string(),
    mqtt_username: z.string(),
    mqtt_password: z.string(),
    mqtt_password_previous: z.string().nullable(),
    enrolled_at: EpochMs,
  })
  .transform((r) => ({
    agentId: r.agent_id,
    tenantId: r.tenant_id,
    siteId: r.site_id,
    name: r.name,
    hubUrl: r.hub_url,
    mqtt: { url: r.mqtt_url, username: r.mqtt_username, password: r.mqtt_password },
    enrolledAt: toIso(r.enrolled_at),
    ...(r.mqtt_password_previous !== null && { previousMqttPassword: r.mqtt_password_previous }),
  }))
  .pipe(Identity);

/** The `identity` table: one row once enrolled. */
export class IdentityTable {
  readonly #select: Database.Statement<[], unknown>;
  readonly #upsert: Database.Statement<unknown[]>;
  readonly #delete: Database.Statement<[]>;
  readonly #rotate: Database.Statement<[string, string]>;

  constructor(db: Database.Database) {
    this.#select = db.prepare('SELECT * FROM identity WHERE singleton = 1');
    this.#upsert = db.prepare(
      `INSERT INTO identity (singleton, agent_id, tenant_id, site_id, name, hub_url, mqtt_url,
         mqtt_username, mqtt_password, enrolled_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET agent_id = excluded.agent_id,
         tenant_id = excluded.tenant_id, site_id = excluded.site_id, name = excluded.name,
         hub_url = excluded.hub_url, mqtt_url = excluded.mqtt_url,
         mqtt_username = excluded.mqtt_username, mqtt_password = excluded.mqtt_password,
         mqtt_password_previous = NULL, enrolled_at = excluded.enrolled_at`,
    );
    this.#rotate = db.prepare(
      `UPDATE identity SET mqtt_password_previous = mqtt_password, mqtt_password = ?
        WHERE singleton = 1 AND mqtt_password <> ?`,
    );
    this.#delete = db.prepare('DELETE FROM identity');
  }

  /** The stored identity, or null before enrollment. Throws `StoreCorruptError` on a bad row. */
  get(): Identity | null {
    const row = this.#select.get();
    return row === undefined ? null : parseRow(IdentityRow, row, 'identity', 'singleton');
  }

  /** Stores (or replaces) the identity. */
  set(identity: Identity): void {
    const i = Identity.parse(identity);
    this.#upsert.run(
      i.agentId,
      i.tenantId,
      i.siteId,
      i.name,
      i.hubUrl,
      i.mqtt.url,
      i.mqtt.username,
      i.mqtt.password,
      toMs(i.enrolledAt),
    );
  }

  /**
   * Takes a new MQTT password from the hub (credential rotation), keeping the one before as the
   * fallback. True when it is new; the same password again changes nothing.
   */
  takePassword(password: string): boolean {
    return this.#rotate.run(password, password).changes > 0;
  }

  clear(): void {
    this.#delete.run();
  }
}
