import type Database from 'better-sqlite3';
import { z } from 'zod';
import { ConfigSync } from '@drm/protocol';
import type { IdentityTable } from './identity.js';
import type { Quarantine } from './quarantine.js';
import { describeIssues, EpochMs, jsonColumn, toIso } from './rows.js';
import type { ScheduleState } from './schedule-state.js';

export interface DesiredState {
  revision: number;
  /** SECRET: `devices` carry credentials. */
  config: ConfigSync;
  storedAt: string;
}

export interface PutConfigOutcome {
  /** False when the revision is lower than the one held (the message is stale). */
  stored: boolean;
  /** The revision held after the call. */
  revision: number;
  /** The config carried an MQTT password the agent did not have, now its identity's. */
  newPassword: boolean;
  /** The rotation whose password the agent now holds (stored with this config), to acknowledge. */
  rotationId?: string;
}

const DesiredRow = z
  .object({ revision: z.int().min(0), body: jsonColumn(ConfigSync), stored_at: EpochMs })
  .refine((r) => r.body.revision === r.revision, 'body revision differs from the revision column');

/**
 * The desired state pushed by the hub (`ConfigSync`): devices and schedules, whole, with a
 * revision. A revision lower than the one held is ignored; an equal one replaces it (a
 * re-send after reconnect is harmless), so the answer to every `config` message is a
 * `ConfigAck` with `ok: true` unless the message itself was invalid.
 */
export class DesiredStateTable {
  readonly #db: Database.Database;
  readonly #select: Database.Statement<[], Record<string, unknown>>;
  readonly #revision: Database.Statement<[], { revision: number }>;
  readonly #upsert: Database.Statement<[number, string, number]>;
  readonly #delete: Database.Statement<[]>;

  constructor(
    db: Database.Database,
    private readonly schedules: ScheduleState,
    private readonly identity: IdentityTable,
    private readonly quarantine: Quarantine,
    private readonly now: () => number,
  ) {
    this.#db = db;
    this.#select = db.prepare('SELECT * FROM desired_state WHERE singleton = 1');
    this.#revision = db.prepare('SELECT revision FROM desired_state WHERE singleton = 1');
    this.#upsert = db.prepare(
      `INSERT INTO desired_state (singleton, revision, body, stored_at) VALUES (1, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET revision = excluded.revision, body = excluded.body,
         stored_at = excluded.stored_at`,
    );
    this.#delete = db.prepare('DELETE FROM desired_state');
  }

  /**
   * Stores `config` if its revision is at least the one held. In the same transaction, the
   * run state of schedules that are no longer in it is deleted, and a new MQTT password it
   * carries goes to the identity (never into the stored state), so that the acknowledgement
   * sent after this returns always follows the password's commit.
   */
  put(config: ConfigSync): PutConfigOutcome {
    const { credentials, ...c } = ConfigSync.parse(config);
    return this.#db
      .transaction(() => {
        const held = this.revision();
        if (c.revision < held) return { stored: false, revision: held, newPassword: false };
        this.#upsert.run(c.revision, JSON.stringify(c), this.now());
        this.schedules.retain(c.schedules.map((s) => s.id));
        if (!credentials) return { stored: true, revision: c.revision, newPassword: false };
        const newPassword = this.identity.takePassword(credentials.mqttPassword);
        return { stored: true, revision: c.revision, newPassword, rotationId: credentials.rotationId };
      })
      .immediate();
  }

  /** The desired state held, or null before the first one (or after a bad row was quarantined). */
  current(): DesiredState | null {
    const raw = this.#select.get();
    if (raw === undefined) return null;
    const parsed = DesiredRow.safeParse(raw);
    if (!parsed.success) {
      // Reporting revision -1 then makes the hub send the whole state again.
      const move = () => {
        this.quarantine.add('desired_state', String(raw.revision), raw, describeIssues(parsed.error));
        if (!this.quarantine.readonly) this.#delete.run();
      };
      if (this.quarantine.readonly) move();
      else this.#db.transaction(move).immediate();
      return null;
    }
    const r = parsed.data;
    return { revision: r.revision, config: r.body, storedAt: toIso(r.stored_at) };
  }

  /** The revision held; -1 before the first one (the protocol's `configRevision`). */
  revision(): number {
    const row = this.#revision.get();
    return row === undefined ? -1 : z.int().min(0).parse(row.revision);
  }

  clear(): void {
    this.#delete.run();
  }
}
