import type { Logger } from 'pino';
import type { AgentIdentity } from './types.js';

type Listener = (agent: AgentIdentity) => Promise<void> | void;

/**
 * `onAgentConnected`/`onAgentDisconnected` listeners. Each runs detached with its failure
 * logged, so one failing listener neither sinks the others nor reaches the broker.
 */
export class AgentListeners {
  private readonly list: Listener[] = [];
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  add(listener: Listener): void {
    this.list.push(listener);
  }

  emit(agent: AgentIdentity): void {
    for (const listener of this.list) {
      const task = (async () => {
        try {
          await listener(agent);
        } catch (err) {
          this.log.error({ err, ...agent }, `${this.what} listener failed`);
        }
      })();
      this.running.add(task);
      void task.finally(() => this.running.delete(task));
    }
  }

  async idle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
