import type Database from 'better-sqlite3';
import { z } from 'zod';
import { Timestamp } from '@drm/protocol';
import { relaxed } from './database.js';
import { EpochMs, toIso } from './rows.js';

/** Keys the agent itself uses; others may be added freely. */
export const META_KEYS = {
  /** ISO time the agent last heard from the hub (an ack, a job, a config). */
  lastContactAt: 'last_contact_at',
  /** JSON `LinkState`, written by the MQTT link on every change. */
  link: 'link',
} as const;

export const LinkState = z.object({
  state: z.enum(['connected', 'disconnected']),
  since: Timestamp,
});
export type LinkState = z.infer<typeof LinkState>;

const MetaRow = z.object({ value: z.string(), updated_at: EpochMs });

/** Small named values: last contact with the hub, link state, and the like. */
export class Meta {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], unknown>;
  readonly #set: Database.Statement<[string, string, number]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #clear: Database.Statement<[]>;

  constructor(
    db: Database.Database,
    private readonly now: () => number,
  ) {
    this.#db = db;
    this.#get = db.prepare('SELECT value, updated_at FROM meta WHERE key = ?');
    this.#set = db.prepare(
      `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.#delete = db.prepare('DELETE FROM meta WHERE key = ?');
    this.#clear = db.prepare('DELETE FROM meta');
  }

  /** The value, or null when absent (or not a string, which only a hand edit could cause). */
  get(key: string): string | null {
    const parsed = MetaRow.safeParse(this.#get.get(key));
    return parsed.success ? parsed.data.value : null;
  }

  /** Not fsynced by itself (see `relaxed`): meta is advisory, and the next real commit carries it. */
  set(key: string, value: string): void {
    relaxed(this.#db, () => this.#set.run(key, value, this.now()));
  }

  delete(key: string): void {
    this.#delete.run(key);
  }

  clear(): void {
    this.#clear.run();
  }

  /** Call on every message from the hub (a cheap write: see `set`). */
  recordContact(at: Date = new Date(this.now())): void {
    this.set(META_KEYS.lastContactAt, at.toISOString());
  }

  lastContactAt(): string | null {
    const parsed = Timestamp.safeParse(this.get(META_KEYS.lastContactAt));
    return parsed.success ? parsed.data : null;
  }

  setLink(state: LinkState['state'], since: Date = new Date(this.now())): void {
    this.set(META_KEYS.link, JSON.stringify({ state, since: since.toISOString() }));
  }

  /** As last written by the agent: a killed agent leaves `connected` behind. */
  link(): LinkState | null {
    const raw = this.get(META_KEYS.link);
    if (raw === null) return null;
    try {
      const parsed = LinkState.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** When a key was last written, or null. */
  updatedAt(key: string): string | null {
    const parsed = MetaRow.safeParse(this.#get.get(key));
    return parsed.success ? toIso(parsed.data.updated_at) : null;
  }
}
