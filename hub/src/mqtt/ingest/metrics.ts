import { Counter, type Registry } from 'prom-client';

export interface IngestMetrics {
  /** Rows written, by table; replays that were already stored are not counted. */
  rows: Counter<'table'>;
  /** Items stored before (agent replays), by table. */
  duplicates: Counter<'table'>;
  /** Items refused for good (unknown or foreign target or device), by item kind (`result`, `sample`). */
  rejected: Counter<'kind'>;
  /**
   * Batches with results, by how they were stored: `one-statement` (whole results of the
   * sender's open targets, `drm_store_results`) or `step-by-step` (parts, replays, refused
   * items). Many of the latter without parts point at lost acks or misrouted results.
   */
  resultBatches: Counter<'path'>;
}

function counter<L extends string>(
  registry: Registry | undefined,
  name: string,
  help: string,
  labelNames: readonly L[],
): Counter<L> {
  // Registering twice on one registry throws; a second ingestion (tests, re-wiring) reuses it.
  const existing = registry?.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: registry ? [registry] : [] });
}

export function ingestMetrics(registry: Registry | undefined): IngestMetrics {
  return {
    rows: counter(registry, 'drm_hub_ingest_rows_total', 'Rows ingested from agents, by table', ['table']),
    duplicates: counter(
      registry,
      'drm_hub_ingest_duplicates_total',
      'Items agents re-sent that were already stored, by table',
      ['table'],
    ),
    rejected: counter(
      registry,
      'drm_hub_ingest_rejected_total',
      'Items refused because their job target or device is unknown or not the agent’s, by kind',
      ['kind'],
    ),
    resultBatches: counter(
      registry,
      'drm_hub_ingest_result_batches_total',
      'Batches carrying job results, by how they were stored (one-statement or step-by-step)',
      ['path'],
    ),
  };
}
