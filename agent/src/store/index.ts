export { BUSY_TIMEOUT_MS, DB_FILE, LOCK_FILE } from './database.js';
export { type DesiredState, DesiredStateTable, type PutConfigOutcome } from './desired-state.js';
export { DEFAULT_EVENT_QUEUE_MAX, EventQueue, type EventQueueStats } from './event-queue.js';
export { Identity, IdentityTable } from './identity.js';
export {
  type CancelOutcome,
  INBOX_STATES,
  Inbox,
  type InboxCounts,
  type InboxKey,
  type InboxState,
  type InboxTarget,
  type PutOutcome,
} from './inbox.js';
export { DataDirLock, StoreLockedError } from './lock.js';
export { LinkState, META_KEYS, Meta } from './meta.js';
export { SCHEMA_VERSION, SchemaVersionError } from './migrations.js';
export {
  type AppendOutcome,
  Outbox,
  type OutboxEntry,
  type OutboxKind,
  type OutboxSummary,
} from './outbox.js';
export { Quarantine } from './quarantine.js';
export { StoreCorruptError } from './rows.js';
export { type ScheduleRun, ScheduleState, type ScheduleTimes } from './schedule-state.js';
export { DEFAULT_OUTBOX_MAX_BYTES, type OpenReport, Store, type StoreOptions } from './store.js';
