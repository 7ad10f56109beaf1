/**
 * One row of a MIB node table: a parent OID (`''` above the root arcs), the module that names
 * the children, and the children's names separated by spaces. A name is the child at the arc
 * after the previous one, the first at arc 1; `N=name` puts it at arc N (`'0=zeroDotZero'`,
 * `'snmpInASNParseErrs 8=snmpInTooBigs'`). A parent's children may take several rows, one per
 * module and as many as keep each row short.
 */
export type MibNodeRow = readonly [parent: string, module: string, children: string];

/** Fields of one row together stay under this, so a generated row fits on one line of source. */
const ROW_CHARS = 94;

/** Module and node names: a letter, then letters, digits and hyphens (RFC 2578 section 3.1). */
const NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
const OID = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;

function childOid(parent: string, arc: number): string {
  return parent === '' ? `${arc}` : `${parent}.${arc}`;
}

/** Rows → numeric OID → `MODULE::name`. */
export function decodeMibNodes(rows: readonly MibNodeRow[]): Map<string, string> {
  const nodes = new Map<string, string>();
  for (const [parent, module, children] of rows) {
    let arc = 0;
    for (const child of children.split(' ')) {
      const eq = child.indexOf('=');
      arc = eq < 0 ? arc + 1 : Number(child.slice(0, eq));
      nodes.set(childOid(parent, arc), `${module}::${eq < 0 ? child : child.slice(eq + 1)}`);
    }
  }
  return nodes;
}

interface Group {
  parent: string;
  module: string;
  children: { arc: number; name: string }[];
}

function wordFor(arc: number, name: string, previous: number): string {
  return arc === previous + 1 ? name : `${arc}=${name}`;
}

function compareArcs(a: string, b: string): number {
  const x = a === '' ? [] : a.split('.').map(Number);
  const y = b === '' ? [] : b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}

/** Children by parent and module, in OID order; throws on what rows cannot carry. */
function groupByParent(nodes: ReadonlyMap<string, string>): Group[] {
  const groups = new Map<string, Group>();
  for (const [oid, qualified] of nodes) {
    const sep = qualified.indexOf('::');
    const module = qualified.slice(0, sep);
    const name = qualified.slice(sep + 2);
    if (sep < 0 || !NAME.test(module) || !NAME.test(name)) throw new Error(`bad MIB name "${qualified}"`);
    if (!OID.test(oid)) throw new Error(`bad OID "${oid}" for ${qualified}`);
    const cut = oid.lastIndexOf('.');
    const parent = cut < 0 ? '' : oid.slice(0, cut);
    const group = groups.get(`${parent} ${module}`) ?? { parent, module, children: [] };
    groups.set(`${parent} ${module}`, group);
    group.children.push({ arc: Number(oid.slice(cut + 1)), name });
  }
  for (const group of groups.values()) group.children.sort((a, b) => a.arc - b.arc);
  return [...groups.values()].sort(
    (a, b) => compareArcs(a.parent, b.parent) || (a.module < b.module ? -1 : a.module > b.module ? 1 : 0),
  );
}

/**
 * Numeric OID → `MODULE::name` → rows, grouped by parent and module in OID order, so that
 * `decodeMibNodes(encodeMibNodes(m))` equals `m`. Throws on an OID or a name the rows cannot
 * carry: the table is generated, and a bad entry should stop the generator.
 */
export function encodeMibNodes(nodes: ReadonlyMap<string, string>): MibNodeRow[] {
  const rows: MibNodeRow[] = [];
  for (const { parent, module, children } of groupByParent(nodes)) {
    const room = ROW_CHARS - parent.length - module.length;
    let words: string[] = [];
    let length = 0;
    let previous = 0;
    for (const { arc, name } of children) {
      let word = wordFor(arc, name, previous);
      if (words.length > 0 && length + 1 + word.length > room) {
        rows.push([parent, module, words.join(' ')]);
        words = [];
        length = 0;
        // A continuation row starts counting afresh, so its first child names its arc.
        word = wordFor(arc, name, 0);
      }
      length += (words.length > 0 ? 1 : 0) + word.length;
      words.push(word);
      previous = arc;
    }
    rows.push([parent, module, words.join(' ')]);
  }
  return rows;
}
