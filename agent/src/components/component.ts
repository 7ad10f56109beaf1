/**
 * A piece of the agent's run loop. The constructor takes dependencies and does nothing else;
 * the composition root calls `start()` in order and `stop()` in reverse. Each `stop()` clears
 * its own timers and is safe to call more than once.
 */
export interface Component {
  start(): Promise<void>;
  stop(): Promise<void>;
}
