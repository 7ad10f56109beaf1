/**
 * zod probes `new Function` to decide whether to compile fast parsers. The hub's CSP allows no
 * 'unsafe-eval', so the probe is refused and reported as a violation (harmless, but noise that
 * hides real ones). zod reads its configuration from this global when it loads, and with
 * `jitless` it skips the probe; this module is imported first for that reason.
 */
const g = globalThis as { __zod_globalConfig?: Record<string, unknown> };
g.__zod_globalConfig = { ...g.__zod_globalConfig, jitless: true };

export {};
