import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeTrapTools, SNMPTRAP_INSTALL_HINT, type TrapTools, trapTools } from '../helpers/snmptrap.js';
import { DEV, IF_INDEX_2, LINK_DOWN, LINK_UP, TrapHarness, V3 } from '../helpers/trap-harness.js';
import { cleanupDirs } from '../store/fixtures.js';

/** The receiver against Net-SNMP's C senders, as devices running Net-SNMP send notifications. */

let h: TrapHarness;
afterEach(async () => {
  await h?.close();
  cleanupDirs();
});

const probe = probeTrapTools();
if (!probe.ok && !process.env.CI) console.warn(`Net-SNMP trap tool tests skipped: ${probe.reason}`);
if (!probe.ok && process.env.CI) {
  describe('Net-SNMP snmptrap', () => {
    it('is installed on CI', () => {
      throw new Error(`${probe.reason}. CI must run the real-peer tests: ${SNMPTRAP_INSTALL_HINT}`);
    });
  });
}

describe.runIf(probe.ok)('trap receiver with Net-SNMP C senders (snmptrap, snmpinform)', () => {
  let tools: TrapTools;
  beforeAll(async () => {
    if (probe.ok) tools = await trapTools(probe);
  });
  afterAll(async () => {
    await tools?.close();
  });
  const target = () => `127.0.0.1:${h.receiver.port}`;
  const usm = ['-u', V3.name, '-l', 'authPriv', '-a', 'SHA', '-A', V3.authKey, '-x', 'AES', '-X', V3.privKey];
  const once = ['-r', '0', '-t', '3'];

  it('takes an SNMPv1 trap with an exact Counter64', async () => {
    h = await TrapHarness.start();
    await tools.run('snmptrap', [
      ...['-v', '1', '-c', 'v1-secret', '--clientaddr=127.0.0.2', target()],
      ...['1.3.6.1.4.1.8072.2.3', '192.0.2.9', '6', '17', ''],
      ...['1.3.6.1.2.1.1.5.0', 's', 'edge switch', '1.3.6.1.2.1.31.1.1.1.6.1', 'C', '18446744073709551615'],
    ]);
    const [e] = await h.queued(1);
    expect(e).toMatchObject({
      version: '1',
      pdu: 'trapv1',
      trapOid: '1.3.6.1.4.1.8072.2.3.0.17',
      enterprise: '1.3.6.1.4.1.8072.2.3',
      agentAddress: '192.0.2.9',
      genericTrap: 6,
      specificTrap: 17,
      deviceId: DEV.v1,
      varbinds: [
        {
          oid: '1.3.6.1.2.1.1.5.0',
          name: 'SNMPv2-MIB::sysName.0',
          type: 'OctetString',
          value: 'edge switch',
        },
        { oid: '1.3.6.1.2.1.31.1.1.1.6.1', type: 'Counter64', value: '18446744073709551615' },
      ],
    });
  });

  it('takes SNMPv2c traps and informs; snmpinform succeeds only when acknowledged', async () => {
    h = await TrapHarness.start();
    await tools.run('snmptrap', [
      '-v',
      '2c',
      '-c',
      'trap-public',
      target(),
      '',
      LINK_DOWN,
      IF_INDEX_2.oid,
      'i',
      '2',
    ]);
    await tools.run('snmpinform', [
      '-v',
      '2c',
      '-c',
      'trap-public',
      ...once,
      target(),
      '',
      LINK_UP,
      IF_INDEX_2.oid,
      'i',
      '2',
    ]);
    const [t, i] = await h.queued(2);
    expect(t).toMatchObject({ version: '2c', pdu: 'trap', trapOid: LINK_DOWN, deviceId: DEV.v2 });
    expect(i).toMatchObject({ version: '2c', pdu: 'inform', trapOid: LINK_UP, deviceId: DEV.v2 });
    expect(i!.varbinds).toEqual([
      { oid: IF_INDEX_2.oid, name: 'IF-MIB::ifIndex.2', type: 'Integer', value: 2 },
    ]);
    // Unacknowledged, the tool fails: the success above was the receiver's answer.
    await expect(
      tools.run('snmpinform', [
        '-v',
        '2c',
        '-c',
        'wrong-community',
        '-r',
        '0',
        '-t',
        '1',
        target(),
        '',
        LINK_UP,
      ]),
    ).rejects.toThrow(/Timeout/);
    await h.dropped('unknown-community', 1);
  });

  it('takes SNMPv3 authPriv (SHA/AES) traps and informs', async () => {
    h = await TrapHarness.start();
    await tools.run('snmptrap', ['-v', '3', ...usm, '--clientaddr=127.0.0.3', target(), '', LINK_DOWN]);
    await tools.run('snmpinform', [
      '-v',
      '3',
      ...usm,
      ...once,
      '--clientaddr=127.0.0.3',
      target(),
      '',
      LINK_UP,
    ]);
    const [t, i] = await h.queued(2);
    expect(t).toMatchObject({ version: '3', pdu: 'trap', securityName: V3.name, deviceId: DEV.v3 });
    expect(i).toMatchObject({ version: '3', pdu: 'inform', trapOid: LINK_UP, securityName: V3.name });
    await expect(
      tools.run('snmpinform', [
        '-v',
        '3',
        ...usm.map((a) => (a === V3.name ? 'stranger' : a)),
        ...once,
        target(),
        '',
        LINK_UP,
      ]),
    ).rejects.toThrow(/Unknown user name/i);
    await h.dropped('unknown-user', 1);
  });
});
