import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import snmp from 'net-snmp';
import { normalizeOid } from '@drm/protocol';

/**
 * The MIB modules net-snmp bundles, in rising priority: where two modules define the same OID
 * (RFC1213-MIB and its SMIv2 successors SNMPv2-MIB and IF-MIB), the later name wins, so names
 * come out as `SNMPv2-MIB::sysDescr` rather than `RFC1213-MIB::sysDescr`.
 */
const MODULE_PRIORITY = [
  'RFC1155-SMI',
  'RFC-1212',
  'RFC-1215',
  'RFC1158-MIB',
  'RFC1213-MIB',
  'SNMPv2-SMI',
  'SNMPv2-TC',
  'SNMPv2-CONF',
  'IANAifType-MIB',
  'SNMPv2-MIB',
  'IF-MIB',
] as const;

/** Modules outside net-snmp's pre-loaded base set; IF-MIB imports IANAifType-MIB, so it comes first. */
const EXTRA_MODULE_FILES = ['IANAifType-MIB.mib', 'IF-MIB.mib'] as const;

/** Enough for a few full walks of distinct devices; past it the cache starts over. */
const CACHE_LIMIT = 50_000;

interface MibEntry {
  ObjectName?: string;
  OID?: string;
}

interface ModuleStore {
  loadFromFile(fileName: string): void;
  getModule(name: string): Record<string, MibEntry> | undefined;
}

function bundledMibDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('net-snmp')), 'lib', 'mibs');
}

/** Numeric OID → `MODULE::name` for every named node of the bundled modules. */
function loadNodeNames(): Map<string, string> {
  const store = snmp.createModuleStore() as ModuleStore;
  const dir = bundledMibDir();
  for (const file of EXTRA_MODULE_FILES) store.loadFromFile(join(dir, file));
  const names = new Map<string, string>();
  for (const moduleName of MODULE_PRIORITY) {
    const entries = store.getModule(moduleName) ?? {};
    for (const entry of Object.values(entries)) {
      if (entry.OID && entry.ObjectName) names.set(entry.OID, `${moduleName}::${entry.ObjectName}`);
    }
  }
  return names;
}

let shared: MibNames | undefined;

/**
 * Resolves numeric OIDs to MIB names by longest-prefix match: `1.3.6.1.2.1.2.2.1.10.3` is
 * `IF-MIB::ifInOctets.3`. Results are cached; an OID under no known node has no name.
 */
export class MibNames {
  readonly #nodes: ReadonlyMap<string, string>;
  readonly #cache = new Map<string, string | null>();

  constructor(nodes: ReadonlyMap<string, string>) {
    this.#nodes = nodes;
  }

  /**
   * The bundled modules, parsed once per process (about 0.2 s) on first use. Names are a
   * convenience: if the modules cannot be read, every OID simply stays unnamed.
   */
  static shared(): MibNames {
    if (!shared) {
      let nodes: Map<string, string>;
      try {
        nodes = loadNodeNames();
      } catch {
        nodes = new Map();
      }
      shared = new MibNames(nodes);
    }
    return shared;
  }

  /** How many named nodes the resolver knows. */
  get size(): number {
    return this.#nodes.size;
  }

  resolve(oid: string): string | undefined {
    const canonical = normalizeOid(oid);
    const cached = this.#cache.get(canonical);
    if (cached !== undefined) return cached ?? undefined;
    const name = this.#lookup(canonical);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(canonical, name ?? null);
    return name;
  }

  #lookup(oid: string): string | undefined {
    let prefix = oid;
    for (;;) {
      const name = this.#nodes.get(prefix);
      if (name !== undefined) return prefix === oid ? name : `${name}${oid.slice(prefix.length)}`;
      const cut = prefix.lastIndexOf('.');
      if (cut <= 0) return undefined;
      prefix = prefix.slice(0, cut);
    }
  }
}

/** Shorthand for `MibNames.shared().resolve(oid)`. */
export function oidName(oid: string): string | undefined {
  return MibNames.shared().resolve(oid);
}
