import type { AgentToHubChannel } from '@drm/protocol';

/** A publish was asked for while the hub is out of reach; the caller keeps the data and retries. */
export class LinkDownError extends Error {
  constructor(message = 'not connected to the hub') {
    super(message);
    this.name = 'LinkDownError';
  }
}

/** An outgoing message that the protocol refuses (a bug on this side): never sent. */
export class OutboundMessageError extends Error {
  constructor(
    readonly channel: AgentToHubChannel,
    message: string,
  ) {
    super(`${channel} message not sent: ${message}`);
    this.name = 'OutboundMessageError';
  }
}
