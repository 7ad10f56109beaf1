import type { JobSpec } from '@drm/protocol';
import { displayName } from './oid-names.js';

const KIND_LABELS: Record<JobSpec['kind'], string> = {
  'snmp.get': 'SNMP get',
  'snmp.getnext': 'SNMP get-next',
  'snmp.getbulk': 'SNMP get-bulk',
  'snmp.walk': 'SNMP walk',
  'snmp.set': 'SNMP set',
  'tr181.get': 'TR-181 get',
  'tr181.set': 'TR-181 set',
  'tr181.reboot': 'TR-181 reboot',
};

export function kindLabel(kind: JobSpec['kind']): string {
  return KIND_LABELS[kind] ?? kind;
}

function oidLabel(oid: string): string {
  return displayName(oid) ?? oid;
}

function some(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/** What a job does, in one line: `sysDescr.0, sysUpTime.0`, `ifTable`, `sysContact.0 = "noc"`. */
export function jobSummary(spec: JobSpec): string {
  switch (spec.kind) {
    case 'snmp.get':
    case 'snmp.getnext':
    case 'snmp.getbulk':
      return some(spec.params.oids.map(oidLabel));
    case 'snmp.walk':
      return oidLabel(spec.params.oid);
    case 'snmp.set':
      return some(
        spec.params.varbinds.map((v) => `${oidLabel(v.oid)} = ${JSON.stringify(v.value)}`),
        2,
      );
    case 'tr181.get':
      return some(spec.params.parameters);
    case 'tr181.set':
      return some(
        spec.params.values.map((v) => `${v.path} = ${JSON.stringify(v.value)}`),
        2,
      );
    case 'tr181.reboot':
      return spec.params.commandKey ? `reboot (${spec.params.commandKey})` : 'reboot';
  }
}
