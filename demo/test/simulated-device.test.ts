import snmp from 'net-snmp';
import { afterEach, describe, expect, it } from 'vitest';
import { octetsAfter, type SimulatedDevice, startSimulatedDevice } from '../src/simulated-device.js';

const SYS_DESCR = '1.3.6.1.2.1.1.1.0';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const IF_IN_OCTETS_2 = '1.3.6.1.2.1.2.2.1.10.2';
const IF_HC_IN_OCTETS_2 = '1.3.6.1.2.1.31.1.1.1.6.2';

interface Vb {
  oid: string;
  type: number;
  value: unknown;
}

function get(device: SimulatedDevice, oids: string[], community = device.community): Promise<Vb[]> {
  const session = snmp.createSession(device.host, community, {
    port: device.port,
    version: snmp.Version2c,
    timeout: 500,
    retries: 0,
  });
  return new Promise((resolve, reject) => {
    session.get(oids, (err, varbinds) => {
      session.close();
      if (err) reject(err);
      else resolve((varbinds ?? []) as Vb[]);
    });
  });
}

describe('simulated device', () => {
  let device: SimulatedDevice | undefined;
  afterEach(async () => {
    await device?.close();
    device = undefined;
  });

  it('answers the system group on a free loopback port', async () => {
    device = await startSimulatedDevice();
    expect(device.port).toBeGreaterThan(0);
    const [descr, upTime, inOctets] = await get(device, [SYS_DESCR, SYS_UPTIME, IF_IN_OCTETS_2]);
    expect(String(descr?.value)).toContain('demo switch');
    // Up for days already, with traffic counted: a first poll never reads zero.
    expect(Number(upTime?.value)).toBeGreaterThan(3 * 86_400 * 100);
    expect(Number(inOctets?.value)).toBeGreaterThan(0);
  });

  it('advances uptime and traffic counters with its clock', async () => {
    let clock = 1_000_000;
    device = await startSimulatedDevice({ now: () => clock });
    const before = await get(device, [SYS_UPTIME, IF_IN_OCTETS_2, IF_HC_IN_OCTETS_2]);
    clock += 60_000;
    await new Promise((r) => setTimeout(r, 1100)); // one tick of the device's timer
    const after = await get(device, [SYS_UPTIME, IF_IN_OCTETS_2, IF_HC_IN_OCTETS_2]);
    expect(Number(after[0]?.value)).toBeGreaterThanOrEqual(Number(before[0]?.value) + 6000);
    expect(Number(after[1]?.value)).toBeGreaterThan(Number(before[1]?.value));
    const hc = (b: Vb | undefined) => BigInt(`0x${(b?.value as Buffer | undefined)?.toString('hex') || '0'}`);
    expect(hc(after[2])).toBeGreaterThan(hc(before[2]));
  });

  it('refuses a community it does not know', async () => {
    device = await startSimulatedDevice();
    await expect(get(device, [SYS_DESCR], 'wrong')).rejects.toThrow(/timed out/i);
  });

  it('grows octets monotonically at about the mean rate', () => {
    let last = -1n;
    for (let s = 0; s <= 3600; s += 7) {
      const v = octetsAfter(1000, s * 1000, 0.3);
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
    const hour = Number(octetsAfter(1000, 3_600_000, 0.3));
    expect(hour).toBeGreaterThan(3_600_000 * 0.9);
    expect(hour).toBeLessThan(3_600_000 * 1.1);
  });
});
