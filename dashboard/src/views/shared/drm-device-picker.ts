import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Device, isSnmpKind, type JobKind } from '@drm/protocol';
import { base } from '../../styles.js';

/** Lists longer than this get a search box. */
const FILTER_FROM = 8;

/** Why a device cannot do work of this kind yet, or null when it can. */
export function deviceProblem(device: Device, kind: JobKind): string | null {
  if (isSnmpKind(kind) && !device.snmp) return 'no SNMP set up';
  if (!isSnmpKind(kind) && !device.tr181) return 'no TR-181 set up';
  if (!device.agentId) return 'no agent';
  return null;
}

/**
 * Checkboxes for choosing devices, for a job's targets or a poll's devices, with a search box
 * for long lists and a note next to a device that cannot do work of the chosen kind yet.
 *
 * @fires drm-change - detail `{ids}`: the chosen device ids
 */
@customElement('drm-device-picker')
export class DrmDevicePicker extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
      }
      .devices {
        max-height: 16rem;
        overflow-y: auto;
        border: 1px solid var(--drm-border);
        border-radius: 6px;
        padding: 0.25rem 0.5rem;
      }
      .devices label {
        font-weight: 400;
        padding: 0.25rem 0;
        margin: 0;
      }
      .why {
        color: var(--drm-warn);
        font-size: 0.82rem;
      }
    `,
  ];

  @property({ attribute: false }) devices: Device[] = [];
  @property({ attribute: false }) selected: string[] = [];
  /** The kind of work, for the note on devices that cannot do it. */
  @property() kind: JobKind = 'snmp.get';
  @property() legend = 'Devices';
  /** A problem with the choice as a whole, shown under the list. */
  @property() error = '';
  @state() private _filter = '';

  #toggle(id: string, on: boolean) {
    const ids = this.selected.filter((t) => t !== id);
    this.dispatchEvent(new CustomEvent('drm-change', { detail: { ids: on ? [...ids, id] : ids } }));
  }

  override render() {
    const f = this._filter.toLowerCase();
    const shown = this.devices.filter((d) => !f || d.name.toLowerCase().includes(f) || d.address.includes(f));
    return html`<fieldset aria-describedby="devices-err">
      <legend>${this.legend} (${this.selected.length} chosen)</legend>
      ${
        this.devices.length > FILTER_FROM
          ? html`<div class="field">
            <label for="device-filter">Find a device</label>
            <input id="device-filter" type="search" .value=${this._filter} @input=${(e: Event) => (this._filter = (e.target as HTMLInputElement).value)} />
          </div>`
          : nothing
      }
      <div class="devices">
        ${shown.length === 0 ? html`<p class="muted">No devices.</p>` : nothing}
        ${shown.map((d, i) => {
          const why = deviceProblem(d, this.kind);
          return html`<label class="check">
            <input
              type="checkbox"
              name="device"
              .checked=${this.selected.includes(d.id)}
              aria-invalid=${this.error && i === 0 ? 'true' : 'false'}
              @change=${(e: Event) => this.#toggle(d.id, (e.target as HTMLInputElement).checked)}
            />
            ${d.name} <span class="muted small mono">${d.address}</span>
            ${why ? html`<span class="why">(${why})</span>` : nothing}
          </label>`;
        })}
      </div>
      ${this.error ? html`<div class="form-error" id="devices-err">${this.error}</div>` : nothing}
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-device-picker': DrmDevicePicker;
  }
}
