import { css, html, LitElement, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { SNMP_VALUE_TYPES, SnmpVersion, Tr181Type } from '@drm/protocol';
import { errorAt } from '../../api/errors.js';
import { base } from '../../styles.js';
import type { JobParamsModel, SetRow, Tr181Row } from './job-form-model.js';
import '../../components/drm-oid-field.js';

/**
 * The parameters of a job of the chosen kind: OIDs (names or numbers), walk options, SET
 * values with their types, TR-181 paths, and the SNMP overrides.
 *
 * @fires drm-change - detail: a partial `JobParamsModel` to merge
 */
@customElement('drm-job-params')
export class DrmJobParams extends LitElement {
  static override styles = [
    base,
    css`
      .list-row {
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 0.5rem;
        align-items: start;
      }
      .list-row button {
        margin-top: 1.55rem;
      }
      .set-row {
        display: grid;
        gap: 0 0.75rem;
        grid-template-columns: minmax(10rem, 2fr) minmax(8rem, 1fr) minmax(8rem, 2fr) auto;
        align-items: start;
        border-bottom: 1px dashed var(--drm-border);
        margin-bottom: 0.75rem;
      }
      .set-row button {
        margin-top: 1.55rem;
      }
      @media (max-width: 640px) {
        .set-row {
          grid-template-columns: 1fr;
        }
        .set-row button {
          margin: 0 0 0.75rem;
        }
      }
      details {
        margin-top: 0.5rem;
      }
      summary {
        cursor: pointer;
        font-weight: 600;
        margin-bottom: 0.75rem;
      }
    `,
  ];

  @property({ attribute: false }) model!: JobParamsModel;
  @property({ attribute: false }) errors: Map<string, string> = new Map();

  #emit(patch: Partial<JobParamsModel>) {
    this.dispatchEvent(new CustomEvent('drm-change', { detail: patch }));
  }

  #text(
    key: keyof JobParamsModel,
    label: string,
    opts: { type?: string; hint?: string; path?: string } = {},
  ) {
    const error = errorAt(this.errors, opts.path ?? `params.${key}`);
    return html`<div class="field">
      <label for=${key}>${label}</label>
      <input
        id=${key}
        type=${opts.type ?? 'text'}
        .value=${String(this.model[key])}
        aria-invalid=${error ? 'true' : 'false'}
        @input=${(e: Event) => this.#emit({ [key]: (e.target as HTMLInputElement).value })}
      />
      ${opts.hint ? html`<div class="hint">${opts.hint}</div>` : nothing}
      ${error ? html`<div class="error">${error}</div>` : nothing}
    </div>`;
  }

  #oids() {
    const oids = this.model.oids;
    return html`<fieldset>
      <legend>OIDs</legend>
      ${oids.map(
        (o, i) => html`<div class="list-row field">
          <drm-oid-field
            .label=${`OID ${i + 1}`}
            .value=${o}
            .error=${this.errors.get(`params.oids.${i}`) ?? ''}
            @drm-oid-input=${(e: CustomEvent<{ value: string }>) =>
              this.#emit({ oids: oids.map((x, j) => (j === i ? e.detail.value : x)) })}
          ></drm-oid-field>
          <button type="button" aria-label="Remove OID ${i + 1}" ?disabled=${oids.length === 1} @click=${() => this.#emit({ oids: oids.filter((_, j) => j !== i) })}>
            Remove
          </button>
        </div>`,
      )}
      ${
        errorAt(this.errors, 'params.oids') && !oids.some((_, i) => this.errors.has(`params.oids.${i}`))
          ? html`<div class="error">${errorAt(this.errors, 'params.oids')}</div>`
          : nothing
      }
      <p><button type="button" @click=${() => this.#emit({ oids: [...oids, ''] })} ?disabled=${oids.length >= 128}>Add OID</button></p>
    </fieldset>`;
  }

  #setRow(row: SetRow, i: number) {
    const rows = this.model.setRows;
    const update = (patch: Partial<SetRow>) =>
      this.#emit({ setRows: rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
    const valueError = errorAt(this.errors, `params.varbinds.${i}.value`);
    return html`<div class="set-row">
      <drm-oid-field
        .label=${`OID ${i + 1}`}
        .value=${row.oid}
        .error=${this.errors.get(`params.varbinds.${i}.oid`) ?? ''}
        @drm-oid-input=${(e: CustomEvent<{ value: string }>) => update({ oid: e.detail.value })}
      ></drm-oid-field>
      <div class="field">
        <label for="type-${i}">Type</label>
        <select id="type-${i}" @change=${(e: Event) => update({ type: (e.target as HTMLSelectElement).value as SetRow['type'] })}>
          ${SNMP_VALUE_TYPES.filter((t) => t !== 'Null').map((t) => html`<option ?selected=${t === row.type}>${t}</option>`)}
        </select>
        ${
          row.type === 'OctetString'
            ? html`<label class="check small"
              ><input type="checkbox" .checked=${row.encoding === 'hex'} @change=${(e: Event) => update({ encoding: (e.target as HTMLInputElement).checked ? 'hex' : 'utf8' })} />
              bytes as hex</label
            >`
            : nothing
        }
      </div>
      <div class="field">
        <label for="value-${i}">Value</label>
        <input id="value-${i}" .value=${row.value} aria-invalid=${valueError ? 'true' : 'false'} @input=${(e: Event) => update({ value: (e.target as HTMLInputElement).value })} />
        ${valueError ? html`<div class="error">${valueError}</div>` : nothing}
      </div>
      <button type="button" aria-label="Remove value ${i + 1}" ?disabled=${rows.length === 1} @click=${() => this.#emit({ setRows: rows.filter((_, j) => j !== i) })}>Remove</button>
    </div>`;
  }

  #tr181Row(row: Tr181Row, i: number) {
    const rows = this.model.tr181Rows;
    const update = (patch: Partial<Tr181Row>) =>
      this.#emit({ tr181Rows: rows.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
    const pathError = errorAt(this.errors, `params.values.${i}.path`);
    const valueError = errorAt(this.errors, `params.values.${i}.value`);
    return html`<div class="set-row">
      <div class="field">
        <label for="path-${i}">Parameter ${i + 1}</label>
        <input id="path-${i}" placeholder="Device.WiFi.SSID.1.SSID" .value=${row.path} aria-invalid=${pathError ? 'true' : 'false'} @input=${(e: Event) => update({ path: (e.target as HTMLInputElement).value })} />
        ${pathError ? html`<div class="error">${pathError}</div>` : nothing}
      </div>
      <div class="field">
        <label for="trtype-${i}">Type</label>
        <select id="trtype-${i}" @change=${(e: Event) => update({ type: (e.target as HTMLSelectElement).value as Tr181Row['type'] })}>
          ${Tr181Type.options.map((t) => html`<option ?selected=${t === row.type}>${t}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="trvalue-${i}">Value</label>
        <input id="trvalue-${i}" .value=${row.value} aria-invalid=${valueError ? 'true' : 'false'} @input=${(e: Event) => update({ value: (e.target as HTMLInputElement).value })} />
        ${valueError ? html`<div class="error">${valueError}</div>` : nothing}
      </div>
      <button type="button" aria-label="Remove parameter ${i + 1}" ?disabled=${rows.length === 1} @click=${() => this.#emit({ tr181Rows: rows.filter((_, j) => j !== i) })}>Remove</button>
    </div>`;
  }

  #snmpOverrides() {
    return html`<details>
      <summary>SNMP options</summary>
      <div class="row">
        <div class="field">
          <label for="version">Version</label>
          <select id="version" @change=${(e: Event) => this.#emit({ version: (e.target as HTMLSelectElement).value as JobParamsModel['version'] })}>
            <option value="" ?selected=${this.model.version === ''}>As the device is set up</option>
            ${SnmpVersion.options.map((v) => html`<option value=${v} ?selected=${v === this.model.version}>v${v}</option>`)}
          </select>
        </div>
        ${this.#text('timeoutMs', 'Timeout per request (ms)', { type: 'number', hint: 'Empty: the device’s setting' })}
        ${this.#text('retries', 'Retries', { type: 'number', hint: 'Empty: the device’s setting' })}
        ${this.#text('targetBudgetSeconds', 'Time limit per device (s)', { type: 'number', path: 'params.targetBudgetMs', hint: 'Empty: 30 s' })}
      </div>
    </details>`;
  }

  override render() {
    const m = this.model;
    switch (m.kind) {
      case 'snmp.get':
      case 'snmp.getnext':
        return html`${this.#oids()}${this.#snmpOverrides()}`;
      case 'snmp.getbulk':
        return html`${this.#oids()}
          <div class="row">
            ${this.#text('nonRepeaters', 'Non-repeaters', { type: 'number' })}
            ${this.#text('maxRepetitions', 'Max repetitions', { type: 'number', hint: 'Empty: the device’s setting' })}
          </div>
          ${this.#snmpOverrides()}`;
      case 'snmp.walk':
        return html`<drm-oid-field
            label="Subtree to walk"
            .value=${m.walkOid}
            .error=${this.errors.get('params.oid') ?? ''}
            @drm-oid-input=${(e: CustomEvent<{ value: string }>) => this.#emit({ walkOid: e.detail.value })}
          ></drm-oid-field>
          <div class="row">
            <div class="field">
              <label for="walkMethod">Method</label>
              <select id="walkMethod" @change=${(e: Event) => this.#emit({ walkMethod: (e.target as HTMLSelectElement).value as 'bulk' | 'next' })}>
                <option value="bulk" ?selected=${m.walkMethod === 'bulk'}>GetBulk (fast; v2c and v3)</option>
                <option value="next" ?selected=${m.walkMethod === 'next'}>GetNext (v1, or devices that mishandle GetBulk)</option>
              </select>
            </div>
            ${this.#text('maxRepetitions', 'Max repetitions', { type: 'number', hint: 'Empty: the device’s setting' })}
            ${this.#text('maxVarbinds', 'Stop after (values)', { type: 'number', hint: 'Empty: 100,000' })}
          </div>
          ${this.#snmpOverrides()}`;
      case 'snmp.set':
        return html`<fieldset>
            <legend>Values to write</legend>
            ${m.setRows.map((r, i) => this.#setRow(r, i))}
            <p><button type="button" @click=${() => this.#emit({ setRows: [...m.setRows, { oid: '', type: 'OctetString', value: '', encoding: 'utf8' }] })}>Add value</button></p>
          </fieldset>
          ${this.#snmpOverrides()}`;
      case 'tr181.get': {
        const error = errorAt(this.errors, 'params.parameters');
        return html`<div class="field">
          <label for="tr181Paths">Parameters, one per line</label>
          <textarea id="tr181Paths" aria-invalid=${error ? 'true' : 'false'} .value=${m.tr181Paths} @input=${(e: Event) => this.#emit({ tr181Paths: (e.target as HTMLTextAreaElement).value })}></textarea>
          <div class="hint">Full paths, or objects ending with a dot (Device.DeviceInfo.)</div>
          ${error ? html`<div class="error">${error}</div>` : nothing}
        </div>`;
      }
      case 'tr181.set':
        return html`<fieldset>
            <legend>Values to write</legend>
            ${m.tr181Rows.map((r, i) => this.#tr181Row(r, i))}
            <p><button type="button" @click=${() => this.#emit({ tr181Rows: [...m.tr181Rows, { path: '', type: 'string', value: '' }] })}>Add parameter</button></p>
          </fieldset>
          ${this.#text('parameterKey', 'Parameter key', { hint: 'Optional; the device reports it back (TR-069 ParameterKey)' })}`;
      case 'tr181.reboot':
        return html`${this.#text('commandKey', 'Command key', { hint: 'Optional; the device reports it back after rebooting' })}`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-job-params': DrmJobParams;
  }
}
