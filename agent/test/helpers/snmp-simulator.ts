import dgram from 'node:dgram';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import snmp from 'net-snmp';

/**
 * A device simulator on net-snmp's `Agent`: SNMPv2-MIB and IF-MIB through ModuleStore
 * providers, plus custom scalars of every SMIv2 type under a private enterprise arc, on a free
 * loopback port. Golden values are exported so tests compare against one source.
 */

export const SIM_ENTERPRISE = '1.3.6.1.4.1.99999';
/** Read-write scalars, one per type, at `${SIM_ENTERPRISE}.1.N.0`. */
export const SIM_WRITABLE = {
  Integer: `${SIM_ENTERPRISE}.1.1.0`,
  OctetString: `${SIM_ENTERPRISE}.1.2.0`,
  ObjectIdentifier: `${SIM_ENTERPRISE}.1.3.0`,
  IpAddress: `${SIM_ENTERPRISE}.1.4.0`,
  Counter32: `${SIM_ENTERPRISE}.1.5.0`,
  Gauge32: `${SIM_ENTERPRISE}.1.6.0`,
  TimeTicks: `${SIM_ENTERPRISE}.1.7.0`,
  Counter64: `${SIM_ENTERPRISE}.1.8.0`,
  Opaque: `${SIM_ENTERPRISE}.1.9.0`,
} as const;
/**
 * A read-only OctetString holding bytes that are not text. It is also the last instance of the
 * simulator's MIB: a GetNext from it meets endOfMibView.
 */
export const SIM_BINARY_OID = `${SIM_ENTERPRISE}.3.1.0`;
export const SIM_BINARY_BYTES = Buffer.from([0x00, 0xff, 0x10, 0x80, 0xfe, 0x7f]);
/** Scalars under this arc answer only after `slowMs`, for budget and abort tests. */
export const SIM_SLOW_ROOT = `${SIM_ENTERPRISE}.2`;
export const SIM_SLOW_COUNT = 20;

export const SIM_GOLDEN = {
  sysDescr: 'DRM simulated switch 1.0 (net-snmp Agent)',
  sysObjectID: '1.3.6.1.4.1.8072.3.2.10',
  sysUpTime: 4_242_424,
  sysName: 'sim-switch-01',
  sysContact: 'noc@example.com',
  sysLocation: 'rack 4',
  ifDescr: ['lo', 'eth0', 'eth1'],
  ifPhysAddress: ['000000000000', '00155d01ff02', '00155d01ff03'],
  ifInOctets: [1000, 4_294_967_295, 3],
  /** Above 2^53 (not exact in a double), the maximum, and zero. */
  ifHCInOctets: ['9007199254740993', '18446744073709551615', '0'],
} as const;

export const SIM_USER = {
  name: 'simuser',
  authProtocol: 'sha',
  authKey: 'sim-auth-pass',
  privProtocol: 'aes',
  privKey: 'sim-priv-pass',
} as const;

/** A v3 user of the simulator: one per security level and per auth and priv protocol. */
export interface SimUser {
  name: string;
  securityLevel: 'noAuthNoPriv' | 'authNoPriv' | 'authPriv';
  authProtocol?: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  authKey?: string;
  privProtocol?: 'des' | 'aes' | 'aes256b' | 'aes256r';
  privKey?: string;
}

const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;

/**
 * Every auth protocol with AES, every other priv protocol with SHA-1 and with SHA-512 (so each
 * key extension meets a hash both shorter and longer than its key), and the two lower levels.
 */
export const SIM_USERS: readonly SimUser[] = [
  ...AUTH_PROTOCOLS.map(
    (auth): SimUser => ({
      name: `sim-${auth}-aes`,
      securityLevel: 'authPriv',
      authProtocol: auth,
      authKey: `auth-${auth}-pass`,
      privProtocol: 'aes',
      privKey: `priv-${auth}-pass`,
    }),
  ),
  ...PRIV_PROTOCOLS.filter((priv) => priv !== 'aes').flatMap((priv) =>
    (['sha', 'sha512'] as const).map(
      (auth): SimUser => ({
        name: `sim-${auth}-${priv}`,
        securityLevel: 'authPriv',
        authProtocol: auth,
        authKey: `auth-${auth}-${priv}-pass`,
        privProtocol: priv,
        privKey: `priv-${auth}-${priv}-pass`,
      }),
    ),
  ),
  { name: 'sim-auth-only', securityLevel: 'authNoPriv', authProtocol: 'md5', authKey: 'auth-only-pass' },
  { name: 'sim-no-auth', securityLevel: 'noAuthNoPriv' },
];

export interface SnmpSimulator {
  host: '127.0.0.1';
  port: number;
  readCommunity: string;
  writeCommunity: string;
  /** The agent's Mib, to read back what a SET changed. */
  mib: SimMib;
  close(): Promise<void>;
}

export interface SimulatorOptions {
  /** Delay of the scalars under `SIM_SLOW_ROOT`. Default 50 ms. */
  slowMs?: number;
}

interface SimMib {
  registerProviders(providers: unknown[]): void;
  registerProvider(provider: unknown): void;
  setScalarValue(name: string, value: unknown): void;
  getScalarValue(name: string): unknown;
  addTableRow(name: string, row: unknown[]): void;
}

interface MibRequest {
  instanceNode: { value: unknown };
  done(error?: unknown): void;
}

const { ObjectType, MaxAccess, MibProviderType } = snmp;

function counter64(decimal: string): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(decimal));
  return bytes;
}

function ifEntryRow(i: number): unknown[] {
  const g = SIM_GOLDEN;
  const inOctets = g.ifInOctets[i] ?? 0;
  // ifIndex … ifSpecific, the 22 columns of RFC 2863 ifEntry in order.
  return [
    ...[i + 1, g.ifDescr[i], i === 0 ? 24 : 6, 1500, 1_000_000_000],
    ...[Buffer.from(g.ifPhysAddress[i] ?? '', 'hex'), 1, i === 2 ? 2 : 1, 100 * i, inOctets],
    ...[10 * i, 0, 0, 0, 0, 2000 * i, 20 * i, 0, 0, 0, 0, '0.0'],
  ];
}

function ifXEntryRow(i: number): unknown[] {
  const hc = counter64(SIM_GOLDEN.ifHCInOctets[i] ?? '0');
  const zero = counter64('0');
  // ifIndex (the augmented ifEntry's index), then ifName … ifCounterDiscontinuityTime.
  return [
    ...[i + 1, SIM_GOLDEN.ifDescr[i], 0, 0, 0, 0, hc, zero, zero, zero],
    ...[zero, zero, zero, zero, 1, 1000, 2, 1, `port ${i + 1}`, 0],
  ];
}

function scalar(name: string, oid: string, scalarType: number, maxAccess: number, handler?: unknown) {
  return { name, type: MibProviderType.Scalar, oid, scalarType, maxAccess, ...(handler ? { handler } : {}) };
}

function loadStandardMibs(mib: SimMib): void {
  const store = snmp.createModuleStore();
  const dir = join(dirname(createRequire(import.meta.url).resolve('net-snmp')), 'lib', 'mibs');
  store.loadFromFile(join(dir, 'IANAifType-MIB.mib'));
  store.loadFromFile(join(dir, 'IF-MIB.mib'));
  mib.registerProviders(store.getProvidersForModule('SNMPv2-MIB'));
  mib.registerProviders(store.getProvidersForModule('IF-MIB'));
  const g = SIM_GOLDEN;
  mib.setScalarValue('sysDescr', g.sysDescr);
  mib.setScalarValue('sysObjectID', g.sysObjectID);
  mib.setScalarValue('sysUpTime', g.sysUpTime);
  mib.setScalarValue('sysContact', g.sysContact);
  mib.setScalarValue('sysName', g.sysName);
  mib.setScalarValue('sysLocation', g.sysLocation);
  mib.setScalarValue('sysServices', 72);
  mib.setScalarValue('ifNumber', g.ifDescr.length);
  for (let i = 0; i < g.ifDescr.length; i++) {
    mib.addTableRow('ifEntry', ifEntryRow(i));
    mib.addTableRow('ifXEntry', ifXEntryRow(i));
  }
}

function loadCustomScalars(mib: SimMib, slowMs: number): void {
  const rw = MaxAccess['read-write'];
  const types: [keyof typeof SIM_WRITABLE, number, unknown][] = [
    ['Integer', ObjectType.Integer, 7],
    ['OctetString', ObjectType.OctetString, 'initial'],
    ['ObjectIdentifier', ObjectType.OID, '1.3.6.1.4.1.99999.0'],
    ['IpAddress', ObjectType.IpAddress, '192.0.2.1'],
    ['Counter32', ObjectType.Counter32, 1],
    ['Gauge32', ObjectType.Gauge32, 2],
    ['TimeTicks', ObjectType.TimeTicks, 3],
    ['Counter64', ObjectType.Counter64, counter64('4')],
    ['Opaque', ObjectType.Opaque, Buffer.from('9f7804', 'hex')],
  ];
  // No Null object: net-snmp's Agent answers noSuchInstance for any null value.
  for (const [name, type, initial] of types) {
    mib.registerProvider(scalar(`sim${name}`, SIM_WRITABLE[name].slice(0, -2), type, rw));
    mib.setScalarValue(`sim${name}`, initial);
  }
  mib.registerProvider(scalar('simBinary', SIM_BINARY_OID.slice(0, -2), ObjectType.OctetString, 2));
  mib.setScalarValue('simBinary', SIM_BINARY_BYTES);
  const slow = (request: MibRequest) => setTimeout(() => request.done(), slowMs);
  for (let n = 1; n <= SIM_SLOW_COUNT; n++) {
    mib.registerProvider(scalar(`simSlow${n}`, `${SIM_SLOW_ROOT}.${n}`, ObjectType.Integer, 2, slow));
    mib.setScalarValue(`simSlow${n}`, n);
  }
}

/**
 * net-snmp's Agent reads port 0 as "use 161", so the helper hands it a dgram module whose
 * sockets always bind port 0, then reads the port the system picked.
 */
function portZeroDgram(sockets: dgram.Socket[]) {
  return {
    createSocket(type: dgram.SocketType) {
      const socket = dgram.createSocket(type);
      const bind = socket.bind.bind(socket) as (port: number, address?: string) => dgram.Socket;
      Object.assign(socket, { bind: (_port: number, address?: string) => bind(0, address) });
      sockets.push(socket);
      return socket;
    },
  };
}

export async function startSnmpSimulator(opts: SimulatorOptions = {}): Promise<SnmpSimulator> {
  const sockets: dgram.Socket[] = [];
  const agent = snmp.createAgent(
    {
      address: '127.0.0.1',
      accessControlModelType: snmp.AccessControlModelType.Simple,
      dgramModule: portZeroDgram(sockets),
    },
    () => {
      // Refused requests (bad community, read-only SET) are reported here; the tests look at
      // what the manager receives instead.
    },
  );
  const socket = sockets[0];
  if (!socket) throw new Error('net-snmp Agent opened no socket');
  await once(socket, 'listening');
  const authorizer = agent.getAuthorizer();
  authorizer.addCommunity('public');
  authorizer.addCommunity('private');
  authorizer.addUser({
    name: SIM_USER.name,
    level: snmp.SecurityLevel.authPriv,
    authProtocol: snmp.AuthProtocols[SIM_USER.authProtocol],
    authKey: SIM_USER.authKey,
    privProtocol: snmp.PrivProtocols[SIM_USER.privProtocol],
    privKey: SIM_USER.privKey,
  });
  for (const u of SIM_USERS) {
    authorizer.addUser({
      name: u.name,
      level: snmp.SecurityLevel[u.securityLevel],
      ...(u.authProtocol ? { authProtocol: snmp.AuthProtocols[u.authProtocol], authKey: u.authKey } : {}),
      ...(u.privProtocol ? { privProtocol: snmp.PrivProtocols[u.privProtocol], privKey: u.privKey } : {}),
    });
  }
  const acm = authorizer.getAccessControlModel();
  acm.setCommunityAccess('public', snmp.AccessLevel.ReadOnly);
  acm.setCommunityAccess('private', snmp.AccessLevel.ReadWrite);
  acm.setUserAccess(SIM_USER.name, snmp.AccessLevel.ReadWrite);
  for (const u of SIM_USERS) acm.setUserAccess(u.name, snmp.AccessLevel.ReadOnly);

  const mib = agent.getMib() as SimMib;
  loadStandardMibs(mib);
  loadCustomScalars(mib, opts.slowMs ?? 50);

  return {
    host: '127.0.0.1',
    port: socket.address().port,
    readCommunity: 'public',
    writeCommunity: 'private',
    mib,
    close: () => new Promise<void>((resolve) => agent.close(() => resolve())),
  };
}
