import { describe, expect, it } from 'vitest';
import { ScheduleDto, ScheduleUpdate } from '@drm/protocol';
import {
  buildPollRequest,
  emptyPollForm,
  formErrors,
  intervalSeconds,
  type PollFormModel,
  pollFormFrom,
  splitInterval,
  updateFrom,
} from '../../src/views/polls/poll-form-model.js';

const T = '11111111-1111-4111-8111-111111111111';
const D = '22222222-2222-4222-8222-222222222222';
const S = '33333333-3333-4333-8333-333333333333';
const C = '44444444-4444-4444-8444-444444444444';

function form(patch: Partial<PollFormModel>): PollFormModel {
  return { ...emptyPollForm([D]), name: 'uptime', ...patch };
}

function dto(patch: Record<string, unknown>): ScheduleDto {
  return ScheduleDto.parse({
    id: S,
    tenantId: T,
    name: 'uplink',
    kind: 'snmp.get',
    params: { oids: ['1.3.6.1.2.1.1.3.0'] },
    deviceIds: [D],
    intervalSeconds: 300,
    jitterPct: 10,
    enabled: true,
    createdAt: '2025-03-01T12:00:00.000Z',
    updatedAt: '2025-03-01T12:00:00.000Z',
    ...patch,
  });
}

describe('buildPollRequest', () => {
  it('a get of a MIB name every 5 minutes, with the schema’s defaults filled in', () => {
    const { body, errors } = buildPollRequest(form({ oids: ['sysUpTime.0'] }));
    expect(errors).toEqual(new Map());
    expect(body).toEqual({
      name: 'uptime',
      kind: 'snmp.get',
      params: { oids: ['1.3.6.1.2.1.1.3.0'], targetBudgetMs: 30_000 },
      deviceIds: [D],
      intervalSeconds: 300,
      jitterPct: 10,
      enabled: true,
    });
  });

  it('a walk with the job form’s options; an empty spread takes the default', () => {
    const { body } = buildPollRequest(
      form({
        kind: 'snmp.walk',
        walkOid: 'IF-MIB::ifTable',
        walkMethod: 'next',
        every: '90',
        unit: 's',
        jitterPct: '',
        enabled: false,
        version: '1',
      }),
    );
    expect(body).toMatchObject({
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2.2', method: 'next', version: '1' },
      intervalSeconds: 90,
      jitterPct: 10,
      enabled: false,
    });
  });

  it.each<[string, Partial<PollFormModel>, string, RegExp]>([
    ['no name', { name: '  ' }, 'name', /Give the poll a name/],
    ['no device', { deviceIds: [] }, 'deviceIds', /Choose at least one device/],
    ['an unknown MIB name', { oids: ['sysUpTime.0', 'nope.0'] }, 'params.oids.1', /Unknown MIB name "nope"/],
    ['a walk of nothing', { kind: 'snmp.walk', walkOid: '' }, 'params.oid', /Enter an OID or a MIB name/],
    [
      'an interval under 10 s',
      { every: '5', unit: 's' },
      'intervalSeconds',
      /At least 10 seconds between polls/,
    ],
    [
      'an interval over a day',
      { every: '25', unit: 'h' },
      'intervalSeconds',
      /At most 24 hours between polls/,
    ],
    ['an interval that is not a number', { every: '' }, 'intervalSeconds', /as a number/],
    ['a part of a second', { every: '10.5', unit: 's' }, 'intervalSeconds', /whole number of seconds/],
    ['a spread over 50 %', { jitterPct: '60' }, 'jitterPct', /At most 50 %/],
    ['a negative spread', { jitterPct: '-1' }, 'jitterPct', /from 0 to 50/],
    ['a timeout out of range', { timeoutMs: '5' }, 'params.timeoutMs', /Too small/],
  ])('%s is reported at its field', (_what, patch, key, message) => {
    const { body, errors } = buildPollRequest(form(patch));
    expect(body).toBeNull();
    expect(errors.get(key)).toMatch(message);
  });

  it('a kind polls cannot be is refused by the schema, not sent', () => {
    const { body, errors } = buildPollRequest(form({ kind: 'snmp.set' }));
    expect(body).toBeNull();
    expect(errors.has('kind')).toBe(true);
  });
});

describe('intervals', () => {
  it.each<[number, string, string]>([
    [10, '10', 's'],
    [90, '90', 's'],
    [300, '5', 'min'],
    [5400, '90', 'min'],
    [7200, '2', 'h'],
    [86_400, '24', 'h'],
  ])('%i s is shown as %s %s, and read back', (seconds, every, unit) => {
    const split = splitInterval(seconds);
    expect(split).toEqual({ every, unit });
    expect(intervalSeconds(split)).toBe(seconds);
  });
});

describe('editing a poll', () => {
  it('shows OIDs by name and defaults as empty, and saves what it showed unchanged', () => {
    const s = dto({
      params: { oids: ['1.3.6.1.2.1.1.3.0', '1.3.6.1.4.1.99999.1.1.0'], credentialId: C },
      jitterPct: 0,
      enabled: false,
    });
    const m = pollFormFrom(s);
    expect(m).toMatchObject({
      name: 'uplink',
      kind: 'snmp.get',
      oids: ['sysUpTime.0', '1.3.6.1.4.1.99999.1.1.0'],
      deviceIds: [D],
      every: '5',
      unit: 'min',
      jitterPct: '0',
      enabled: false,
      targetBudgetSeconds: '',
      timeoutMs: '',
    });
    const { body } = buildPollRequest(m);
    const update = ScheduleUpdate.parse(updateFrom(body!));
    expect(update).toMatchObject({
      name: 'uplink',
      intervalSeconds: 300,
      jitterPct: 0,
      enabled: false,
      spec: { kind: 'snmp.get', params: { oids: ['1.3.6.1.2.1.1.3.0', '1.3.6.1.4.1.99999.1.1.0'] } },
    });
  });

  it('a walk keeps its method and its non-default limits', () => {
    const m = pollFormFrom(
      dto({
        kind: 'snmp.walk',
        params: { oid: '1.3.6.1.2.1.2.2', method: 'next', maxVarbinds: 500, targetBudgetMs: 5000 },
        intervalSeconds: 45,
      }),
    );
    expect(m).toMatchObject({
      kind: 'snmp.walk',
      walkOid: 'ifTable',
      walkMethod: 'next',
      maxVarbinds: '500',
      maxRepetitions: '',
      targetBudgetSeconds: '5',
      every: '45',
      unit: 's',
    });
    expect(buildPollRequest(m).body?.params).toMatchObject({ maxVarbinds: 500, targetBudgetMs: 5000 });
  });

  it('the hub’s errors about spec.params land on the params fields', () => {
    const errors = formErrors(
      new Map([
        ['spec.params.credentialId', 'There is no credential'],
        ['deviceIds', 'No device'],
      ]),
    );
    expect(errors).toEqual(
      new Map([
        ['params.credentialId', 'There is no credential'],
        ['deviceIds', 'No device'],
      ]),
    );
  });
});
