import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobSpec, ResultRecord, type SnmpAccess, uuidv7 } from '@drm/protocol';
import {
  runSnmpJob,
  type SnmpJobSpec,
  type SnmpProgress,
  type SnmpTargetResult,
} from '../../../src/drivers/snmp/driver.js';
import { SessionPool } from '../../../src/drivers/snmp/session-pool.js';
import {
  SIM_GOLDEN,
  SIM_SLOW_COUNT,
  SIM_SLOW_ROOT,
  SIM_USER,
  type SnmpSimulator,
  startSnmpSimulator,
} from '../../helpers/snmp-simulator.js';

let sim: SnmpSimulator;
let pool: SessionPool;

function job(kind: SnmpJobSpec['kind'], params: Record<string, unknown>): SnmpJobSpec {
  return JobSpec.parse({ kind, params }) as SnmpJobSpec;
}

function v2c(extra: Partial<SnmpAccess> = {}) {
  return {
    host: sim.host,
    access: { version: '2c', port: sim.port, community: 'public', ...extra } as SnmpAccess,
  };
}

/** The result as the executor will send it: must pass the protocol's schema. */
function asRecord(result: SnmpTargetResult) {
  return ResultRecord.parse({ kind: 'result', id: uuidv7(), jobId: uuidv7(), deviceId: uuidv7(), ...result });
}

async function deadPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

beforeAll(async () => {
  sim = await startSnmpSimulator({ slowMs: 50 });
  pool = new SessionPool();
});

afterAll(async () => {
  pool?.close();
  await sim?.close();
});

describe('runSnmpJob against the net-snmp simulator', () => {
  it('returns a get as a succeeded result with MIB names', async () => {
    const oids = [
      '1.3.6.1.2.1.1.1.0',
      '1.3.6.1.2.1.2.2.1.10.3',
      '1.3.6.1.2.1.31.1.1.1.6.1',
      '1.3.6.1.4.1.99999.7.0',
    ];
    const result = await runSnmpJob(job('snmp.get', { oids }), v2c(), { pool });
    expect(result.status).toBe('succeeded');
    expect(result.error).toBeUndefined();
    expect(result.varbinds).toEqual([
      { oid: oids[0], name: 'SNMPv2-MIB::sysDescr.0', type: 'OctetString', value: SIM_GOLDEN.sysDescr },
      { oid: oids[1], name: 'IF-MIB::ifInOctets.3', type: 'Counter32', value: SIM_GOLDEN.ifInOctets[2] },
      { oid: oids[2], name: 'IF-MIB::ifHCInOctets.1', type: 'Counter64', value: SIM_GOLDEN.ifHCInOctets[0] },
      {
        oid: oids[3],
        name: 'SNMPv2-SMI::enterprises.99999.7.0',
        type: 'Null',
        value: null,
        error: 'noSuchObject',
      },
    ]);
    const record = asRecord(result);
    expect(Date.parse(record.finishedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
  });

  it('runs getnext and getbulk', async () => {
    const next = await runSnmpJob(job('snmp.getnext', { oids: ['1.3.6.1.2.1.1.1.0'] }), v2c(), { pool });
    expect(next.varbinds?.[0]).toMatchObject({ name: 'SNMPv2-MIB::sysObjectID.0' });
    const bulk = await runSnmpJob(
      job('snmp.getbulk', { oids: ['1.3.6.1.2.1.2.2.1.2'], maxRepetitions: 3 }),
      v2c(),
      { pool },
    );
    expect(bulk.varbinds?.map((vb) => vb.value)).toEqual(SIM_GOLDEN.ifDescr);
    asRecord(bulk);
  });

  it('walks with the profile max-repetitions unless the job overrides it, reporting progress', async () => {
    const events: SnmpProgress[] = [];
    const walk = job('snmp.walk', { oid: '1.3.6.1.2.1.2.2' });
    const result = await runSnmpJob(walk, v2c({ maxRepetitions: 11 }), {
      pool,
      onProgress: (p) => events.push(p),
    });
    expect(result.status).toBe('succeeded');
    expect(result.varbinds).toHaveLength(66);
    expect(events[0]).toEqual({ state: 'started', counts: { varbinds: 0 } });
    expect(events.at(-1)).toEqual({ state: 'done', counts: { varbinds: 66 } });
    // 66 varbinds, 11 a page (this agent counts the page including the one past the table).
    expect(events.filter((e) => e.state === 'varbinds')).toHaveLength(7);

    const override = job('snmp.walk', { oid: '1.3.6.1.2.1.2.2', maxRepetitions: 40 });
    const pages: SnmpProgress[] = [];
    await runSnmpJob(override, v2c({ maxRepetitions: 11 }), { pool, onProgress: (p) => pages.push(p) });
    expect(pages.filter((e) => e.state === 'varbinds').map((e) => e.done)).toEqual([1, 2]);
  });

  it('ignores a progress listener that throws', async () => {
    const result = await runSnmpJob(job('snmp.walk', { oid: '1.3.6.1.2.1.1' }), v2c(), {
      pool,
      onProgress: () => {
        throw new Error('listener failed');
      },
    });
    expect(result.status).toBe('succeeded');
  });

  it('fails a walk past maxVarbinds with code limit, keeping what was read', async () => {
    const result = await runSnmpJob(job('snmp.walk', { oid: '1.3.6.1.2.1.2.2', maxVarbinds: 10 }), v2c(), {
      pool,
    });
    expect(result).toMatchObject({ status: 'failed', error: { code: 'limit' } });
    expect(result.varbinds).toHaveLength(10);
    asRecord(result);
  });

  it('sets with the write community and reports the read community refused', async () => {
    const varbinds = [{ oid: '1.3.6.1.2.1.1.6.0', type: 'OctetString', value: 'rack 5' }];
    const refused = await runSnmpJob(job('snmp.set', { varbinds }), v2c(), { pool });
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'snmp-error', snmpIndex: 1 } });
    expect(refused.varbinds).toBeUndefined();
    asRecord(refused);
    const done = await runSnmpJob(job('snmp.set', { varbinds }), v2c({ community: 'private' }), { pool });
    expect(done.status).toBe('succeeded');
    expect(sim.mib.getScalarValue('sysLocation')).toBe('rack 5');
  });

  it('reports a dead port as timeout, within the budget', async () => {
    const port = await deadPort();
    const started = Date.now();
    const result = await runSnmpJob(
      job('snmp.get', { oids: ['1.3.6.1.2.1.1.1.0'], timeoutMs: 200, retries: 1 }),
      v2c({ port }),
      {
        pool,
        budgetMs: 5000,
      },
    );
    expect(result).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
    expect(result.error?.message).toContain('after 2 attempts');
    expect(Date.now() - started).toBeLessThan(1500);
    asRecord(result);
  });

  it('stops a slow walk when the budget runs out, reporting budget with what was read', async () => {
    const started = Date.now();
    const result = await runSnmpJob(job('snmp.walk', { oid: SIM_SLOW_ROOT, method: 'next' }), v2c(), {
      pool,
      budgetMs: 400,
    });
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ status: 'failed', error: { code: 'budget' } });
    expect(result.varbinds?.length).toBeGreaterThan(0);
    expect(result.varbinds?.length).toBeLessThan(SIM_SLOW_COUNT);
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(1000);
    asRecord(result);
  });

  it('stops a walk when the job is cancelled', async () => {
    const controller = new AbortController();
    const result = await runSnmpJob(job('snmp.walk', { oid: SIM_SLOW_ROOT, method: 'next' }), v2c(), {
      pool,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.state === 'varbinds' && p.counts.varbinds === 3) controller.abort();
      },
    });
    expect(result).toMatchObject({ status: 'failed', error: { code: 'cancelled' } });
    expect(result.varbinds).toHaveLength(3);
  });

  it('survives a device that answers garbage, reporting timeout', async () => {
    const device = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => device.bind(0, '127.0.0.1', resolve));
    // A BER SEQUENCE holding only a version: net-snmp cannot decode it and emits 'error'.
    device.on('message', (_msg, peer) =>
      device.send(Buffer.from('3003020109', 'hex'), peer.port, peer.address),
    );
    const get = job('snmp.get', { oids: ['1.3.6.1.2.1.1.1.0'], timeoutMs: 200, retries: 0 });
    const result = await runSnmpJob(get, v2c({ port: device.address().port }), { pool });
    await new Promise<void>((resolve) => device.close(resolve));
    expect(result).toMatchObject({ status: 'failed', error: { code: 'timeout' } });
  });

  it('reports a host that does not resolve as unreachable', async () => {
    const result = await runSnmpJob(
      job('snmp.get', { oids: ['1.3.6.1.2.1.1.1.0'] }),
      { host: 'no-such-device.invalid', access: { version: '2c', port: 161, community: 'public' } },
      { pool, budgetMs: 10_000 },
    );
    expect(result).toMatchObject({ status: 'failed', error: { code: 'unreachable' } });
  });

  it('runs SNMPv3 through the pool, reusing the session, and reports wrong keys as auth', async () => {
    const access: SnmpAccess = {
      version: '3',
      port: sim.port,
      username: SIM_USER.name,
      securityLevel: 'authPriv',
      authProtocol: SIM_USER.authProtocol,
      authKey: SIM_USER.authKey,
      privProtocol: SIM_USER.privProtocol,
      privKey: SIM_USER.privKey,
      timeoutMs: 300,
      retries: 0,
    };
    const own = new SessionPool();
    const get = job('snmp.get', { oids: ['1.3.6.1.2.1.1.5.0'] });
    const first = await runSnmpJob(get, { host: sim.host, access }, { pool: own });
    const second = await runSnmpJob(get, { host: sim.host, access }, { pool: own });
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(own.size).toBe(1);
    const wrong = await runSnmpJob(
      get,
      { host: sim.host, access: { ...access, authKey: 'wrong-auth-key' } },
      { pool: own },
    );
    expect(wrong).toMatchObject({ status: 'failed', error: { code: 'auth' } });
    own.close();
  });
});
