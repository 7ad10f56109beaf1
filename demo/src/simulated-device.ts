import dgram from 'node:dgram';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import snmp from 'net-snmp';

/**
 * A small switch that answers SNMP v1/v2c (community `public`, read-only) on loopback, built
 * on net-snmp's `Agent` with the SNMPv2-MIB and IF-MIB modules it bundles. Its uptime ticks
 * and its interface counters grow with a daily-looking traffic curve, so polls draw real
 * charts. It stands in for a customer device in the demo; it is not a test fixture.
 */
export interface SimulatedDevice {
  host: string;
  port: number;
  community: string;
  close(): Promise<void>;
}

export interface SimulatedDeviceOptions {
  host?: string;
  /** UDP port; 0 (the default) picks a free one. */
  port?: number;
  community?: string;
  /** Clock, for tests. */
  now?: () => number;
}

interface Mib {
  registerProviders(providers: unknown[]): void;
  setScalarValue(name: string, value: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  setTableSingleCell(table: string, column: number, rowIndex: unknown[], value: unknown): void;
}

/** One port of the switch and its mean traffic in bytes per second. */
interface Port {
  name: string;
  type: number;
  speed: number;
  mac: string;
  up: boolean;
  inRate: number;
  outRate: number;
}

const PORTS: Port[] = [
  { name: 'lo', type: 24, speed: 10_000_000, mac: '', up: true, inRate: 2_000, outRate: 2_000 },
  {
    name: 'uplink0',
    type: 6,
    speed: 1_000_000_000,
    mac: '02005e10aa01',
    up: true,
    inRate: 1_800_000,
    outRate: 420_000,
  },
  {
    name: 'lan1',
    type: 6,
    speed: 1_000_000_000,
    mac: '02005e10aa02',
    up: true,
    inRate: 380_000,
    outRate: 1_500_000,
  },
  { name: 'lan2', type: 6, speed: 100_000_000, mac: '02005e10aa03', up: false, inRate: 0, outRate: 0 },
];

/** ifEntry columns (RFC 2863) the device changes over time. */
const IF_IN_OCTETS = 10;
const IF_OUT_OCTETS = 16;
/** ifXEntry columns. */
const IF_HC_IN_OCTETS = 6;
const IF_HC_OUT_OCTETS = 10;
const TICK_MS = 1000;
/**
 * The switch has been up this long when the simulation starts, so its first answers already
 * carry counters with a history, as a real device's do (a first poll never reads zero).
 */
const UP_BEFORE_START_MS = (3 * 24 + 4) * 3_600_000;
const COUNTER32 = 2n ** 32n;

/** Octets sent since `start`: the mean rate shaped by a slow wave, so a chart has a curve. */
export function octetsAfter(rate: number, elapsedMs: number, phase: number): bigint {
  const seconds = elapsedMs / 1000;
  const periodS = 600;
  // The integral of rate * (1 + 0.6 sin(2πt/T + φ)) from 0 to t.
  const w = (2 * Math.PI) / periodS;
  const wave = (0.6 / w) * (Math.cos(phase) - Math.cos(w * seconds + phase));
  return BigInt(Math.max(0, Math.floor(rate * (seconds + wave))));
}

function counter64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value % 2n ** 64n);
  return bytes;
}

function ifEntry(i: number, p: Port): unknown[] {
  const status = p.up ? 1 : 2;
  // ifIndex … ifSpecific, the 22 columns of ifEntry in order.
  return [
    ...[i + 1, p.name, p.type, p.type === 24 ? 65536 : 1500, p.speed, Buffer.from(p.mac, 'hex')],
    ...[1, status, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '0.0'],
  ];
}

function ifXEntry(i: number, p: Port): unknown[] {
  const zero = counter64(0n);
  // ifName … ifCounterDiscontinuityTime, after the augmented ifEntry's index.
  return [
    ...[i + 1, p.name, 0, 0, 0, 0, zero, zero, zero, zero, zero, zero, zero, zero],
    ...[1, Math.floor(p.speed / 1_000_000), 2, 1, p.name === 'uplink0' ? 'to ISP' : '', 0],
  ];
}

/** The port the system picks for a throw-away socket: net-snmp's Agent reads 0 as 161. */
async function freeUdpPort(host: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startSimulatedDevice(opts: SimulatedDeviceOptions = {}): Promise<SimulatedDevice> {
  const host = opts.host ?? '127.0.0.1';
  const community = opts.community ?? 'public';
  const now = opts.now ?? Date.now;
  const port = opts.port || (await freeUdpPort(host));
  const agent = snmp.createAgent(
    { address: host, port, accessControlModelType: snmp.AccessControlModelType.Simple },
    () => {
      // Refused requests (a wrong community) need no action from the device.
    },
  );
  const authorizer = agent.getAuthorizer();
  authorizer.addCommunity(community);
  authorizer.getAccessControlModel().setCommunityAccess(community, snmp.AccessLevel.ReadOnly);

  const mib = agent.getMib() as unknown as Mib;
  const modules = snmp.createModuleStore();
  const dir = join(dirname(createRequire(import.meta.url).resolve('net-snmp')), 'lib', 'mibs');
  modules.loadFromFile(join(dir, 'IANAifType-MIB.mib'));
  modules.loadFromFile(join(dir, 'IF-MIB.mib'));
  mib.registerProviders(modules.getProvidersForModule('SNMPv2-MIB'));
  mib.registerProviders(modules.getProvidersForModule('IF-MIB'));
  mib.setScalarValue('sysDescr', 'DRM demo switch 2.1 (simulated, 4 ports)');
  mib.setScalarValue('sysObjectID', '1.3.6.1.4.1.8072.3.2.10');
  mib.setScalarValue('sysContact', 'noc@example.com');
  mib.setScalarValue('sysName', 'demo-switch-01');
  mib.setScalarValue('sysLocation', 'Demo HQ, rack 1');
  mib.setScalarValue('sysServices', 6);
  mib.setScalarValue('ifNumber', PORTS.length);
  PORTS.forEach((p, i) => {
    mib.addTableRow('ifEntry', ifEntry(i, p));
    mib.addTableRow('ifXEntry', ifXEntry(i, p));
  });

  const booted = now() - UP_BEFORE_START_MS;
  const tick = () => {
    const elapsed = now() - booted;
    mib.setScalarValue('sysUpTime', Math.floor(elapsed / 10) % 2 ** 32);
    PORTS.forEach((p, i) => {
      const inOctets = octetsAfter(p.inRate, elapsed, i);
      const outOctets = octetsAfter(p.outRate, elapsed, i + 1.5);
      const row = [i + 1];
      mib.setTableSingleCell('ifEntry', IF_IN_OCTETS, row, Number(inOctets % COUNTER32));
      mib.setTableSingleCell('ifEntry', IF_OUT_OCTETS, row, Number(outOctets % COUNTER32));
      mib.setTableSingleCell('ifXEntry', IF_HC_IN_OCTETS, row, counter64(inOctets));
      mib.setTableSingleCell('ifXEntry', IF_HC_OUT_OCTETS, row, counter64(outOctets));
    });
  };
  tick();
  const timer = setInterval(tick, TICK_MS);
  timer.unref();

  return {
    host,
    port,
    community,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        agent.close(() => resolve());
      }),
  };
}
