import { describe, expect, it } from 'vitest';
import {
  AGENT_TO_HUB,
  CHANNELS,
  HUB_TO_AGENT,
  agentSubscriptions,
  agentTopicPrefix,
  hubSubscriptionFilter,
  parseTopic,
  sharedSubscription,
  topicFor,
} from '../src/index.js';

const TENANT = '85541af2-f74a-4210-b7a9-ff6a6ede9503';
const AGENT = '01955193-de00-7254-874b-0b92c369f078';

describe('topics', () => {
  it('splits channels by direction without overlap', () => {
    expect([...HUB_TO_AGENT, ...AGENT_TO_HUB].sort()).toEqual([...CHANNELS].sort());
    expect(HUB_TO_AGENT.filter((c) => (AGENT_TO_HUB as readonly string[]).includes(c))).toEqual([]);
  });

  it.each([...CHANNELS])('builds and parses %s', (channel) => {
    const topic = topicFor(TENANT, AGENT, channel);
    expect(topic).toBe(`drm/v1/${TENANT}/${AGENT}/${channel}`);
    expect(parseTopic(topic)).toEqual({ tenantId: TENANT, agentId: AGENT, channel });
    expect(topic.startsWith(agentTopicPrefix(TENANT, AGENT))).toBe(true);
  });

  it('lower-cases ids so topics have one spelling', () => {
    expect(topicFor(TENANT.toUpperCase(), AGENT, 'status')).toBe(`drm/v1/${TENANT}/${AGENT}/status`);
  });

  it.each([
    ['empty', ''],
    ['too few levels', `drm/v1/${TENANT}/${AGENT}`],
    ['too many levels', `drm/v1/${TENANT}/${AGENT}/results/extra`],
    ['trailing slash', `drm/v1/${TENANT}/${AGENT}/results/`],
    ['wrong root', `dr/v1/${TENANT}/${AGENT}/results`],
    ['wrong version', `drm/v2/${TENANT}/${AGENT}/results`],
    ['unknown channel', `drm/v1/${TENANT}/${AGENT}/result`],
    ['tenant not a uuid', `drm/v1/acme/${AGENT}/results`],
    ['agent not a uuid', `drm/v1/${TENANT}/agent-1/results`],
    ['upper-case id', `drm/v1/${TENANT.toUpperCase()}/${AGENT}/results`],
    ['wildcard', `drm/v1/+/${AGENT}/results`],
    ['multi-level wildcard', `drm/v1/${TENANT}/#`],
    ['shared subscription', `$share/hub/drm/v1/${TENANT}/${AGENT}/results`],
    ['leading slash', `/drm/v1/${TENANT}/${AGENT}/results`],
  ])('rejects %s', (_why, topic) => {
    expect(parseTopic(topic)).toBeNull();
  });

  it.each([
    ['tenant', 'acme', AGENT],
    ['agent with a wildcard', TENANT, '+'],
    ['agent with a slash', TENANT, `${AGENT}/x`],
  ])('refuses to build a topic from a bad %s id', (_why, tenantId, agentId) => {
    expect(() => topicFor(tenantId, agentId, 'jobs')).toThrow(TypeError);
  });

  it('builds hub filters and shared subscriptions', () => {
    expect(hubSubscriptionFilter('results')).toBe('drm/v1/+/+/results');
    expect(sharedSubscription('results')).toBe('$share/hub/drm/v1/+/+/results');
    expect(sharedSubscription('progress', 'hub-eu')).toBe('$share/hub-eu/drm/v1/+/+/progress');
    expect(() => sharedSubscription('results', 'a/b')).toThrow(TypeError);
  });

  it('gives an agent its hub-to-agent subscriptions only', () => {
    const topics = agentSubscriptions(TENANT, AGENT);
    expect(topics.map((t) => parseTopic(t)?.channel)).toEqual([...HUB_TO_AGENT]);
  });

  it('ends the ACL prefix with a slash so one id cannot prefix another', () => {
    expect(agentTopicPrefix(TENANT, AGENT)).toBe(`drm/v1/${TENANT}/${AGENT}/`);
  });
});
