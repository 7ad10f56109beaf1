import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { JobResult } from '@drm/protocol';
import { downloadText } from '../../lib/dom-events.js';
import { hexForDisplay, type ResultRow, resultRows, resultsCsv, resultsJson } from '../../lib/result-rows.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';

/** Rows drawn at first; the rest on request (a full walk can be tens of thousands of rows). */
const FIRST_ROWS = 500;

/**
 * A job's results as a table with OIDs named, a filter, and export of everything as CSV or
 * JSON, made in the browser.
 *
 * @fires drm-retry - loading the results failed and the person asked to try again
 */
@customElement('drm-job-results')
export class DrmJobResults extends LitElement {
  static override styles = [
    base,
    css`
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: end;
        justify-content: space-between;
        margin-bottom: 0.75rem;
      }
      .tools .field {
        margin: 0;
        min-width: min(100%, 18rem);
      }
      .failed td {
        color: var(--drm-bad);
      }
    `,
  ];

  @property() jobId = '';
  @property({ attribute: false }) results: JobResult[] = [];
  @property({ type: Boolean }) truncated = false;
  @property({ attribute: false }) deviceNames: Map<string, string> = new Map();
  @property({ type: Boolean }) loading = false;
  @property({ attribute: false }) error: unknown;
  @state() private _filter = '';
  @state() private _all = false;
  #rows: ResultRow[] = [];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('results') || changed.has('deviceNames'))
      this.#rows = resultRows(this.results, this.deviceNames);
  }

  #export(format: 'csv' | 'json') {
    const name = `job-${this.jobId}-results.${format}`;
    if (format === 'csv') {
      // A byte-order mark lets spreadsheet programs read the file as UTF-8.
      downloadText(name, 'text/csv;charset=utf-8', `\ufeff${resultsCsv(this.#rows)}`);
    } else {
      downloadText(name, 'application/json', resultsJson(this.results, this.deviceNames));
    }
  }

  #value(r: ResultRow) {
    if (r.encoding === 'hex') return html`<span title="bytes in hex">${hexForDisplay(r.value)}</span>`;
    return r.value;
  }

  override render() {
    const f = this._filter.trim().toLowerCase();
    const rows = f
      ? this.#rows.filter((r) =>
          [r.device, r.key, r.name, r.value, r.error].some((x) => x.toLowerCase().includes(f)),
        )
      : this.#rows;
    const shown = this._all ? rows : rows.slice(0, FIRST_ROWS);
    const empty = this.results.length === 0;
    return html`<section class="card" aria-labelledby="results-h">
      <h2 id="results-h">Results</h2>
      <drm-error-panel .error=${this.error} retry @drm-retry=${() => this.dispatchEvent(new CustomEvent('drm-retry'))}></drm-error-panel>
      ${
        empty
          ? html`<p class="muted" role="status">${this.loading ? 'Loading…' : 'No results yet. They appear here as devices finish.'}</p>`
          : html`<div class="tools">
              <div class="field">
                <label for="filter">Filter results</label>
                <input id="filter" type="search" placeholder="Name, OID, value…" .value=${this._filter} @input=${(e: Event) => (this._filter = (e.target as HTMLInputElement).value)} />
              </div>
              <div class="actions">
                <span class="muted small" role="status">${rows.length.toLocaleString()} value${rows.length === 1 ? '' : 's'}</span>
                <button @click=${() => this.#export('csv')}>Export CSV</button>
                <button @click=${() => this.#export('json')}>Export JSON</button>
              </div>
            </div>
            ${this.truncated ? html`<p class="notice warn small">Only the first results are loaded here.</p>` : nothing}
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Name</th>
                    <th scope="col">OID or path</th>
                    <th scope="col">Type</th>
                    <th scope="col">Value</th>
                  </tr>
                </thead>
                <tbody>
                  ${shown.map(
                    (r) => html`<tr class=${r.status === 'failed' && !r.key ? 'failed' : ''}>
                      <td>${r.device}</td>
                      <td class="mono">${r.name || '—'}</td>
                      <td class="mono small">${r.key || '—'}</td>
                      <td class="small">${r.type}</td>
                      <td class="mono break">${r.error ? html`<em>${r.error}</em>` : this.#value(r)}</td>
                    </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            ${
              shown.length < rows.length
                ? html`<p><button @click=${() => (this._all = true)}>Show all ${rows.length.toLocaleString()} rows</button></p>`
                : nothing
            }`
      }
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-results': DrmJobResults;
  }
}
