import { z } from 'zod';
import { ConfigAck, ResultAck } from './acks.js';
import { ConfigSync } from './config.js';
import { TrapEvent } from './events.js';
import { uuidv7 } from './ids.js';
import { JobCancel, JobDispatch, JobReceipt } from './job-messages.js';
import { Timestamp, Uuidv7 } from './primitives.js';
import { ProgressEvent } from './progress.js';
import { ResultBatch } from './results.js';
import { AgentStatus } from './status.js';
import type { Channel } from './topics.js';

/** Envelope version. It changes only for an incompatible change; new fields are optional. */
export const PROTOCOL_VERSION = 1;

/**
 * Largest payload accepted on every channel but `config`: 256 KiB. Producers split batches to
 * stay under it.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Largest `config` payload: 8 MiB. An agent's desired state is one message, applied whole as
 * one revision; 10,000 devices with SNMPv3 access (the most it may hold) take about 3.2 MB.
 * Only the hub sends it: what agents send stays under `MAX_MESSAGE_BYTES`.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** The largest payload `channel` carries. */
export function maxMessageBytes(channel: Channel): number {
  return channel === 'config' ? MAX_CONFIG_BYTES : MAX_MESSAGE_BYTES;
}

/** The message type each channel carries, one per channel. */
export const CHANNEL_MESSAGE_TYPES = {
  jobs: 'job.dispatch',
  config: 'config.sync',
  ack: 'result.ack',
  cancel: 'job.cancel',
  status: 'agent.status',
  progress: 'job.progress',
  results: 'result.batch',
  events: 'event.trap',
  receipts: 'job.receipt',
  'config-ack': 'config.ack',
} as const satisfies Record<Channel, string>;

export type MessageType = (typeof CHANNEL_MESSAGE_TYPES)[Channel];

/** The body schema of each message type. */
export const MessageBodies = {
  'job.dispatch': JobDispatch,
  'config.sync': ConfigSync,
  'result.ack': ResultAck,
  'job.cancel': JobCancel,
  'agent.status': AgentStatus,
  'job.progress': ProgressEvent,
  'result.batch': ResultBatch,
  'event.trap': TrapEvent,
  'job.receipt': JobReceipt,
  'config.ack': ConfigAck,
} as const satisfies Record<MessageType, z.ZodType>;

type Bodies = typeof MessageBodies;

/** The envelope schema around one body: `{v, id, type, ts, body}`. */
export function envelopeOf<T extends MessageType>(type: T) {
  return z.object({
    v: z.literal(PROTOCOL_VERSION),
    /** UUIDv7 made by the sender; receivers may use it to drop duplicates. */
    id: Uuidv7,
    type: z.literal(type),
    /** When the sender made the message. */
    ts: Timestamp,
    body: MessageBodies[type] as Bodies[T],
  });
}

/** The full envelope schema of each channel: what `publish(topic, msg)` accepts for it. */
export const ChannelMessages = {
  jobs: envelopeOf('job.dispatch'),
  config: envelopeOf('config.sync'),
  ack: envelopeOf('result.ack'),
  cancel: envelopeOf('job.cancel'),
  status: envelopeOf('agent.status'),
  progress: envelopeOf('job.progress'),
  results: envelopeOf('result.batch'),
  events: envelopeOf('event.trap'),
  receipts: envelopeOf('job.receipt'),
  'config-ack': envelopeOf('config.ack'),
} as const satisfies Record<Channel, z.ZodType>;

/** The parsed message of a channel, e.g. `ChannelMessage<'results'>`. */
export type ChannelMessage<C extends Channel> = z.infer<(typeof ChannelMessages)[C]>;
/** The body of a channel's message. */
export type ChannelBody<C extends Channel> = ChannelMessage<C>['body'];
/** What a sender may pass as a body (defaults not yet applied). */
export type MessageBodyInput<T extends MessageType> = z.input<Bodies[T]>;
/** A parsed body of one message type. */
export type MessageBody<T extends MessageType> = z.infer<Bodies[T]>;

export interface Envelope<T extends MessageType = MessageType, B = MessageBody<T>> {
  v: typeof PROTOCOL_VERSION;
  id: string;
  type: T;
  ts: string;
  body: B;
}

/**
 * Wraps a body in an envelope with a fresh UUIDv7 and the current time. It does not validate:
 * the sender's types do that, and receivers always parse.
 */
export function makeEnvelope<T extends MessageType>(
  type: T,
  body: MessageBody<T>,
  options: { id?: string; now?: Date } = {},
): Envelope<T> {
  const now = options.now ?? new Date();
  return { v: PROTOCOL_VERSION, id: options.id ?? uuidv7(now.getTime()), type, ts: now.toISOString(), body };
}

/** Builds the envelope a channel carries: `messageFor('results', {items})`. */
export function messageFor<C extends Channel>(
  channel: C,
  body: ChannelBody<C>,
  options: { id?: string; now?: Date } = {},
): ChannelMessage<C> {
  const type = CHANNEL_MESSAGE_TYPES[channel];
  return makeEnvelope(type, body as MessageBody<typeof type>, options) as ChannelMessage<C>;
}
