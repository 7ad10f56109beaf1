import { main } from './demo-snmp/main.js';

/**
 * `npm run demo:snmp`: an SNMP GET of sysDescr.0 on the demo device through a running hub
 * (see `demo-snmp/main.ts` and `--help`).
 */
process.exitCode = await main(process.argv.slice(2));
