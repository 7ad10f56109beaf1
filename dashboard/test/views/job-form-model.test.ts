import { describe, expect, it } from 'vitest';
import { buildJobRequest, emptyJobForm, type JobFormModel } from '../../src/views/jobs/job-form-model.js';

const D = '22222222-2222-4222-8222-222222222222';

function form(patch: Partial<JobFormModel>): JobFormModel {
  return { ...emptyJobForm('snmp.get', [D]), ...patch };
}

describe('buildJobRequest', () => {
  it('turns MIB names into OIDs for a get', () => {
    const { body, errors } = buildJobRequest(
      form({ oids: ['sysDescr.0', 'IF-MIB::ifDescr.2', '.1.3.6.1.2.1.1.5.0'] }),
    );
    expect(errors.size).toBe(0);
    expect(body).toMatchObject({
      kind: 'snmp.get',
      targets: [D],
      params: { oids: ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.2.2.1.2.2', '1.3.6.1.2.1.1.5.0'] },
      expiresInSeconds: 3600,
    });
  });

  it('a walk of a named table, with options given and left out', () => {
    const { body } = buildJobRequest(
      form({ kind: 'snmp.walk', walkOid: 'ifTable', maxRepetitions: '50', maxVarbinds: '' }),
    );
    expect(body).toMatchObject({
      kind: 'snmp.walk',
      params: { oid: '1.3.6.1.2.1.2.2', method: 'bulk', maxRepetitions: 50 },
    });
    expect(body?.params).not.toHaveProperty('maxVarbinds', Number.NaN);
  });

  it('SNMP overrides apply only when given; the time limit is entered in seconds', () => {
    const { body } = buildJobRequest(
      form({ version: '1', timeoutMs: '500', retries: '', targetBudgetSeconds: '5' }),
    );
    expect(body?.params).toMatchObject({ version: '1', timeoutMs: 500, targetBudgetMs: 5000 });
    expect(body?.params).not.toHaveProperty('retries');
  });

  it('a SET sends numbers for integer types, text otherwise, hex for bytes', () => {
    const { body, errors } = buildJobRequest(
      form({
        kind: 'snmp.set',
        setRows: [
          { oid: 'sysContact.0', type: 'OctetString', value: 'noc@example.com', encoding: 'utf8' },
          { oid: '1.3.6.1.4.1.99999.1.1.0', type: 'Integer', value: '-7', encoding: 'utf8' },
          {
            oid: '1.3.6.1.4.1.99999.1.8.0',
            type: 'Counter64',
            value: '18446744073709551615',
            encoding: 'utf8',
          },
          { oid: '1.3.6.1.4.1.99999.1.2.0', type: 'OctetString', value: '00:15:5D:01', encoding: 'hex' },
        ],
      }),
    );
    expect(errors).toEqual(new Map());
    expect(body?.params).toMatchObject({
      varbinds: [
        { oid: '1.3.6.1.2.1.1.4.0', type: 'OctetString', value: 'noc@example.com' },
        { type: 'Integer', value: -7 },
        { type: 'Counter64', value: '18446744073709551615' },
        { type: 'OctetString', value: '00155d01', encoding: 'hex' },
      ],
    });
  });

  it.each<[string, Partial<JobFormModel>, string, RegExp]>([
    ['no device', { targets: [] }, 'targets', /Choose at least one device/],
    ['an unknown name', { oids: ['sysDescr.0', 'nope.0'] }, 'params.oids.1', /Unknown MIB name "nope"/],
    ['a bad number', { oids: ['1.3.6.1.2.1.1.1.0', '9.1'] }, 'params.oids.1', /first sub-identifier/],
    [
      'a SET value of the wrong type',
      {
        kind: 'snmp.set',
        setRows: [{ oid: 'sysContact.0', type: 'Integer', value: 'abc', encoding: 'utf8' }],
      },
      'params.varbinds.0.value',
      /Integer value must be an integer in -2147483648..2147483647/,
    ],
    [
      'a TR-181 path without Device.',
      { kind: 'tr181.get', tr181Paths: 'InternetGatewayDevice.X' },
      'params.parameters.0',
      /must start with 'Device.'/i,
    ],
    ['an expiry out of range', { expiresMinutes: '0' }, 'expiresInSeconds', /Too small/],
  ])('%s is reported at its field', (_what, patch, key, message) => {
    const { body, errors } = buildJobRequest(form(patch));
    expect(body).toBeNull();
    expect(errors.get(key)).toMatch(message);
  });

  it('TR-181 kinds: get paths one per line, set typed values, reboot with a command key', () => {
    expect(
      buildJobRequest(
        form({ kind: 'tr181.get', tr181Paths: 'Device.DeviceInfo.\n\n Device.WiFi.SSID.1.SSID ' }),
      ).body?.params,
    ).toEqual({
      parameters: ['Device.DeviceInfo.', 'Device.WiFi.SSID.1.SSID'],
    });
    expect(
      buildJobRequest(
        form({
          kind: 'tr181.set',
          tr181Rows: [{ path: 'Device.WiFi.Radio.1.Enable', type: 'boolean', value: 'true' }],
        }),
      ).body?.params,
    ).toEqual({ values: [{ path: 'Device.WiFi.Radio.1.Enable', type: 'boolean', value: true }] });
    expect(buildJobRequest(form({ kind: 'tr181.reboot', commandKey: 'maint-42' })).body?.params).toEqual({
      commandKey: 'maint-42',
    });
  });
});
