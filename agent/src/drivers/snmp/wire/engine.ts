import { performance } from 'node:perf_hooks';
import type { UsmSecurity } from './usm.js';

/** RFC 3414 section 3.2 step 7b: a message more than 150 s off our notion is outside the window. */
const TIME_WINDOW_S = 150;
const MAX_INT32 = 2_147_483_647;

/**
 * Our notion of the authoritative engine (RFC 3414 section 2.3): its ID, the security of
 * messages with it (keys localised to it), and its snmpEngineBoots and snmpEngineTime, advanced by a monotonic clock since learnt.
 * Updated from authentic messages only as net-snmp does, so both paths judge time alike.
 */
export class EngineState {
  readonly id: Buffer;
  readonly security: UsmSecurity;
  #boots: number;
  #timeBase: number;
  #receivedAt: number;
  /** The highest engine time received in this boot: a replayed message cannot hold time back. */
  #latestTime: number;

  constructor(id: Buffer, security: UsmSecurity, boots: number, time: number) {
    this.id = Buffer.from(id);
    this.security = security;
    this.#boots = boots;
    this.#timeBase = time;
    this.#latestTime = time;
    this.#receivedAt = performance.now();
  }

  /** The boots and time a message sent now carries; time runs on from when it was learnt. */
  now(): { boots: number; time: number } {
    const elapsed = Math.floor((performance.now() - this.#receivedAt) / 1000);
    let boots = this.#boots;
    let time = this.#timeBase + elapsed;
    // RFC 3414 section 2.2.2: past its maximum, time restarts and boots counts on (latching).
    if (time > MAX_INT32) {
      boots = Math.min(boots + Math.floor(time / (MAX_INT32 + 1)), MAX_INT32);
      time %= MAX_INT32 + 1;
    }
    return { boots, time };
  }

  /** RFC 3414 section 3.2 step 7b(1): an authentic message that advances our notion sets it. */
  observe(boots: number, time: number): void {
    const advances = boots > this.#boots || (boots === this.#boots && time > this.#latestTime);
    if (advances) this.resync(boots, time);
  }

  /** Takes the engine's word for its boots and time (a notInTimeWindow report, RFC 3414 section 4). */
  resync(boots: number, time: number): void {
    this.#boots = boots;
    this.#timeBase = time;
    this.#latestTime = time;
    this.#receivedAt = performance.now();
  }

  /** RFC 3414 section 3.2 step 7b(2), after `observe`. */
  inWindow(boots: number, time: number): boolean {
    const notion = this.now();
    if (notion.boots === MAX_INT32 || boots !== notion.boots) return false;
    return Math.abs(time - notion.time) <= TIME_WINDOW_S;
  }
}
