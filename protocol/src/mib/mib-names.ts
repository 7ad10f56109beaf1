import { normalizeOid } from '../oid.js';
import { decodeMibNodes } from './node-rows.js';
import { MIB_NODES } from './nodes.js';

/** Enough for a few full walks of distinct devices; past it the cache starts over. */
const CACHE_LIMIT = 50_000;

let shared: MibNames | undefined;

/** A named node: its numeric OID and `MODULE::name`. */
export interface MibNode {
  oid: string;
  name: string;
}

/**
 * Resolves numeric OIDs to MIB names by longest-prefix match: `1.3.6.1.2.1.2.2.1.10.3` is
 * `IF-MIB::ifInOctets.3`. Results are cached; an OID under no known node has no name.
 */
export class MibNames {
  readonly #nodes: ReadonlyMap<string, string>;
  readonly #cache = new Map<string, string | null>();

  /** @param nodes numeric OID → `MODULE::name` */
  constructor(nodes: ReadonlyMap<string, string>) {
    this.#nodes = nodes;
  }

  /**
   * The named nodes of the MIB modules bundled with net-snmp (SNMPv2-SMI, SNMPv2-MIB, IF-MIB,
   * RFC1213-MIB and their bases), from the table generated into `nodes.ts`; decoded once.
   */
  static shared(): MibNames {
    shared ??= new MibNames(decodeMibNodes(MIB_NODES));
    return shared;
  }

  /** How many named nodes the resolver knows. */
  get size(): number {
    return this.#nodes.size;
  }

  /** Every named node: numeric OID → `MODULE::name`. */
  get nodes(): ReadonlyMap<string, string> {
    return this.#nodes;
  }

  /** `MODULE::name` followed by the arcs below the node (`SNMPv2-MIB::sysDescr.0`). */
  resolve(oid: string): string | undefined {
    const canonical = normalizeOid(oid);
    const cached = this.#cache.get(canonical);
    if (cached !== undefined) return cached ?? undefined;
    const node = this.#nearest(canonical);
    const name = node === undefined ? undefined : `${this.#nodes.get(node)}${canonical.slice(node.length)}`;
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(canonical, name ?? null);
    return name;
  }

  /** The named node at `oid` or nearest above it, if any. */
  nearestNode(oid: string): MibNode | undefined {
    const node = this.#nearest(normalizeOid(oid));
    return node === undefined ? undefined : { oid: node, name: this.#nodes.get(node)! };
  }

  /** Longest named prefix of `oid`, cut at whole arcs (1.3.6.1.2 is not above 1.3.6.1.20). */
  #nearest(oid: string): string | undefined {
    let prefix = oid;
    for (;;) {
      if (this.#nodes.has(prefix)) return prefix;
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
