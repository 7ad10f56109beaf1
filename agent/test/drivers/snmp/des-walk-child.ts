/**
 * Run by `wire-des.test.ts` in a Node started with `--openssl-legacy-provider` (OpenSSL 3
 * keeps DES there): walks ifTable of the simulator through the own message layer as each DES
 * user, and once with v2c for the expected varbinds. Prints one JSON line.
 */
import type { SnmpAccess } from '@drm/protocol';
import { SnmpSession } from '../../../src/drivers/snmp/session.js';
import { cipherAvailable } from '../../../src/drivers/snmp/wire/usm.js';
import { SIM_USERS, startSnmpSimulator } from '../../helpers/snmp-simulator.js';

const IF_TABLE = '1.3.6.1.2.1.2.2';
const timing = { timeoutMs: 1_000, retries: 1 };

const sim = await startSnmpSimulator();
try {
  const walk = async (access: SnmpAccess) => {
    const session = new SnmpSession({ host: '127.0.0.1', access: { ...access, port: sim.port } }, timing);
    try {
      const result = await session.walk(IF_TABLE, {
        method: 'bulk',
        maxRepetitions: 10,
        maxVarbinds: 10_000,
      });
      return { result, stats: { ...session.walkStats } };
    } finally {
      session.close();
    }
  };
  const expected = await walk({ version: '2c', port: 0, community: 'public' });
  const users = [];
  for (const user of SIM_USERS.filter((u) => u.privProtocol === 'des')) {
    const { result, stats } = await walk({
      version: '3',
      port: 0,
      username: user.name,
      securityLevel: user.securityLevel,
      authProtocol: user.authProtocol!,
      authKey: user.authKey!,
      privProtocol: 'des',
      privKey: user.privKey!,
    });
    users.push({
      name: user.name,
      stop: result.stop,
      error: result.error ?? null,
      same: JSON.stringify(result.varbinds) === JSON.stringify(expected.result.varbinds),
      varbinds: result.varbinds.length,
      stats,
    });
  }
  console.log(
    JSON.stringify({
      desAvailable: cipherAvailable('des'),
      expected: expected.result.varbinds.length,
      users,
    }),
  );
} finally {
  await sim.close();
}
