import type { JobResult } from '@drm/protocol';
import { describe, expect, it } from 'vitest';
import { hexForDisplay, resultRows, resultsCsv, resultsJson } from '../../src/lib/result-rows.js';

const DEVICE = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const times = {
  startedAt: '2025-01-01T00:00:00.000Z',
  finishedAt: '2025-01-01T00:00:01.000Z',
  receivedAt: '2025-01-01T00:00:02.000Z',
};

const walk: JobResult = {
  id: '018f0000-0000-7000-8000-000000000001',
  jobId: '33333333-3333-4333-8333-333333333333',
  deviceId: DEVICE,
  agentId: null,
  status: 'succeeded',
  varbinds: [
    { oid: '1.3.6.1.2.1.2.2.1.2.1', name: 'IF-MIB::ifDescr.1', type: 'OctetString', value: 'lo' },
    { oid: '1.3.6.1.2.1.2.2.1.6.2', type: 'OctetString', value: '00155d01ff02', encoding: 'hex' },
    { oid: '1.3.6.1.2.1.2.2.1.10.2', type: 'Counter32', value: 4294967295 },
    { oid: '1.3.6.1.2.1.1.9.0', type: 'Null', value: null, error: 'noSuchObject' },
  ],
  tr181: null,
  error: null,
  ...times,
};

const failed: JobResult = {
  ...walk,
  id: '018f0000-0000-7000-8000-000000000002',
  deviceId: OTHER,
  status: 'failed',
  varbinds: null,
  error: { code: 'timeout', message: 'no answer after 2 tries' },
};

describe('resultRows', () => {
  const names = new Map([[DEVICE, 'core-sw']]);

  it('one row per varbind, names from the agent or the table, and one row for a failed target', () => {
    const rows = resultRows([walk, failed], names);
    expect(rows.map((r) => [r.device, r.key, r.name, r.type, r.value, r.encoding, r.error])).toEqual([
      ['core-sw', '1.3.6.1.2.1.2.2.1.2.1', 'ifDescr.1', 'OctetString', 'lo', '', ''],
      ['core-sw', '1.3.6.1.2.1.2.2.1.6.2', 'ifPhysAddress.2', 'OctetString', '00155d01ff02', 'hex', ''],
      ['core-sw', '1.3.6.1.2.1.2.2.1.10.2', 'ifInOctets.2', 'Counter32', '4294967295', '', ''],
      ['core-sw', '1.3.6.1.2.1.1.9.0', 'sysORTable.0', 'Null', '', '', 'noSuchObject'],
      [OTHER, '', '', '', '', '', 'timeout: no answer after 2 tries'],
    ]);
  });

  it('a failed walk keeps the varbinds it read and says why it stopped', () => {
    const partial: JobResult = {
      ...walk,
      status: 'failed',
      error: { code: 'budget', message: 'took too long' },
    };
    const rows = resultRows([partial], names);
    expect(rows).toHaveLength(5);
    expect(rows.at(-1)?.error).toBe('budget: took too long');
  });

  it('TR-181 values become rows keyed by path', () => {
    const tr: JobResult = {
      ...walk,
      varbinds: null,
      tr181: [{ path: 'Device.DeviceInfo.SoftwareVersion', type: 'string', value: '1.2.3' }],
    };
    expect(resultRows([tr], names).map((r) => [r.key, r.type, r.value])).toEqual([
      ['Device.DeviceInfo.SoftwareVersion', 'string', '1.2.3'],
    ]);
  });

  it('exports CSV with a header and JSON with resolved names', () => {
    const rows = resultRows([walk], names);
    const csv = resultsCsv(rows).split('\r\n');
    expect(csv[0]).toBe('device,device_id,status,oid_or_path,name,type,value,encoding,error,finished_at');
    expect(csv[1]).toBe(
      `core-sw,${DEVICE},succeeded,1.3.6.1.2.1.2.2.1.2.1,ifDescr.1,OctetString,lo,,,2025-01-01T00:00:01.000Z`,
    );
    expect(csv).toHaveLength(rows.length + 2);
    const json = JSON.parse(resultsJson([walk, failed], names));
    expect(json[0].deviceName).toBe('core-sw');
    expect(json[0].varbinds[1].name).toBe('ifPhysAddress.2');
    expect(json[1].deviceName).toBeNull();
    expect(json[1].varbinds).toBeNull();
  });
});

describe('hexForDisplay', () => {
  it.each([
    ['00155d01ff02', '00:15:5d:01:ff:02'],
    ['ab', 'ab'],
    ['', ''],
  ])('%s → %s', (hex, shown) => {
    expect(hexForDisplay(hex)).toBe(shown);
  });
});
