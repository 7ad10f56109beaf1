export {
  type RunSnmpJobOptions,
  runSnmpJob,
  type SnmpJobKind,
  type SnmpJobSpec,
  type SnmpProgress,
  type SnmpTargetResult,
} from './driver.js';
export {
  ERROR_STATUS_CODE,
  ERROR_STATUS_NAMES,
  type ErrorContext,
  SnmpError,
  toResultError,
} from './errors.js';
export {
  type RequestOptions,
  type SessionWalkOptions,
  SnmpSession,
  type SnmpTarget,
  type SnmpTiming,
  targetLabel,
} from './session.js';
export { type SessionLease, SessionPool, type SessionPoolOptions } from './session-pool.js';
export { fromRawVarbind, type RawVarbind, toRawVarbind } from './varbinds.js';
export { compareOids, type WalkProgress, type WalkResult, type WalkStop } from './walk.js';
