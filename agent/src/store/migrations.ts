import type Database from 'better-sqlite3';

/**
 * Schema migrations, in order; `PRAGMA user_version` holds the number applied. Each runs in
 * its own transaction together with the version bump, so a crash leaves either the old
 * schema or the new one. Never edit a shipped step: add the next one.
 *
 * Times are INTEGER epoch milliseconds (ISO strings compare wrongly once fractions differ);
 * JSON columns hold protocol messages as received and are validated again when read.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE identity (
    singleton     INTEGER PRIMARY KEY CHECK (singleton = 1),
    agent_id      TEXT NOT NULL,
    tenant_id     TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    name          TEXT NOT NULL,
    hub_url       TEXT NOT NULL,
    mqtt_url      TEXT NOT NULL,
    mqtt_username TEXT NOT NULL,
    mqtt_password TEXT NOT NULL,   -- SECRET: the file is 0600 in a 0700 folder
    enrolled_at   INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE inbox (
    job_id      TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL UNIQUE,  -- arrival order
    tenant_id   TEXT NOT NULL,
    spec        TEXT NOT NULL,            -- JSON {kind, params}
    access      TEXT,                     -- JSON DeviceAccess, SECRET; NULL once finished
    deadline    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    receipted   INTEGER NOT NULL DEFAULT 0 CHECK (receipted IN (0, 1)),
    PRIMARY KEY (job_id, device_id)
  ) STRICT;
  CREATE INDEX inbox_state ON inbox (state, seq);
  CREATE INDEX inbox_unreceipted ON inbox (seq) WHERE receipted = 0;

  CREATE TABLE outbox (
    id         TEXT PRIMARY KEY NOT NULL,  -- the item's UUIDv7, what the hub acks
    seq        INTEGER NOT NULL UNIQUE,    -- append order, never reused (outbox_totals.last_seq)
    kind       TEXT NOT NULL CHECK (kind IN ('result', 'sample')),
    body       TEXT NOT NULL,              -- JSON ResultRecord or SampleRecord
    bytes      INTEGER NOT NULL CHECK (bytes >= 0),
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX outbox_kind_seq ON outbox (kind, seq);

  -- Running totals, so that the size bound is checked without scanning the outbox.
  CREATE TABLE outbox_totals (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    count        INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    result_count INTEGER NOT NULL,
    result_bytes INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    evicted      INTEGER NOT NULL,  -- samples deleted to make room, ever
    refused      INTEGER NOT NULL   -- samples not stored because only results were left, ever
  ) STRICT;
  INSERT INTO outbox_totals VALUES (1, 0, 0, 0, 0, 0, 0, 0);
  CREATE TRIGGER outbox_counted_in AFTER INSERT ON outbox BEGIN
    UPDATE outbox_totals SET count = count + 1, bytes = bytes + NEW.bytes,
      result_count = result_count + (NEW.kind = 'result'),
      result_bytes = result_bytes + iif(NEW.kind = 'result', NEW.bytes, 0) WHERE singleton = 1;
  END;
  CREATE TRIGGER outbox_counted_out AFTER DELETE ON outbox BEGIN
    UPDATE outbox_totals SET count = count - 1, bytes = bytes - OLD.bytes,
      result_count = result_count - (OLD.kind = 'result'),
      result_bytes = result_bytes - iif(OLD.kind = 'result', OLD.bytes, 0) WHERE singleton = 1;
  END;

  CREATE TABLE desired_state (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    revision  INTEGER NOT NULL,
    body      TEXT NOT NULL,   -- JSON ConfigSync, SECRET (device credentials)
    stored_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE schedule_state (
    schedule_id TEXT PRIMARY KEY NOT NULL,
    last_run_at INTEGER,
    next_due_at INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE meta (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE quarantine (
    seq     INTEGER PRIMARY KEY,
    source  TEXT NOT NULL,
    row_key TEXT NOT NULL,
    body    TEXT NOT NULL,
    problem TEXT NOT NULL,
    at      INTEGER NOT NULL
  ) STRICT;
  `,
  // 2: traps and informs received, waiting for the hub's ack.
  `
  CREATE TABLE event_queue (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order, never reused
    id          TEXT NOT NULL UNIQUE,               -- the TrapEvent's UUIDv7, what the hub acks
    body        TEXT NOT NULL,                      -- JSON TrapEvent
    received_at INTEGER NOT NULL
  ) STRICT;

  -- Running totals, so that the count bound is checked without scanning the queue.
  CREATE TABLE event_queue_totals (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    count     INTEGER NOT NULL,
    dropped   INTEGER NOT NULL  -- oldest events deleted to make room, ever
  ) STRICT;
  INSERT INTO event_queue_totals VALUES (1, 0, 0);
  CREATE TRIGGER event_queue_counted_in AFTER INSERT ON event_queue BEGIN
    UPDATE event_queue_totals SET count = count + 1 WHERE singleton = 1;
  END;
  CREATE TRIGGER event_queue_counted_out AFTER DELETE ON event_queue BEGIN
    UPDATE event_queue_totals SET count = count - 1 WHERE singleton = 1;
  END;
  `,
  // 3: the MQTT password before the latest rotation, tried when the hub refuses the latest.
  `
  ALTER TABLE identity ADD COLUMN mqtt_password_previous TEXT;  -- SECRET
  `,
  // 4: the event queue's bytes, kept beside its count, so that it is bounded in bytes too.
  `
  ALTER TABLE event_queue_totals ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
  UPDATE event_queue_totals SET bytes = (SELECT coalesce(sum(length(CAST(body AS BLOB))), 0) FROM event_queue);
  DROP TRIGGER event_queue_counted_in;
  DROP TRIGGER event_queue_counted_out;
  CREATE TRIGGER event_queue_counted_in AFTER INSERT ON event_queue BEGIN
    UPDATE event_queue_totals SET count = count + 1, bytes = bytes + length(CAST(NEW.body AS BLOB))
     WHERE singleton = 1;
  END;
  CREATE TRIGGER event_queue_counted_out AFTER DELETE ON event_queue BEGIN
    UPDATE event_queue_totals SET count = count - 1, bytes = bytes - length(CAST(OLD.body AS BLOB))
     WHERE singleton = 1;
  END;
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Thrown when the file holds a schema this build cannot use as is. */
export class SchemaVersionError extends Error {
  constructor(
    readonly found: number,
    readonly expected: number,
    hint: string,
  ) {
    super(`agent store: schema version ${found}, this drm-agent uses ${expected}; ${hint}`);
    this.name = 'SchemaVersionError';
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies the steps the file lacks; returns the versions applied. */
export function migrate(db: Database.Database): number[] {
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) {
    throw new SchemaVersionError(found, SCHEMA_VERSION, 'it was written by a newer drm-agent');
  }
  const applied: number[] = [];
  for (let version = found + 1; version <= SCHEMA_VERSION; version++) {
    const sql = MIGRATIONS[version - 1]!;
    db.transaction(() => {
      db.exec(sql);
      // user_version lives in the file header, which is written inside the transaction.
      db.pragma(`user_version = ${version}`);
    }).immediate();
    applied.push(version);
  }
  return applied;
}
