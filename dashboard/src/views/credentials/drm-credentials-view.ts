import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Credential, Device, ScheduleDto } from '@drm/protocol';
import { errorMessage } from '../../api/errors.js';
import { deleteCredential, listAllDevices, listCredentials } from '../../api/inventory.js';
import { listAllSchedules } from '../../api/schedules.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import {
  type CredentialUsage,
  credentialSummary,
  credentialUsage,
  KIND_LABELS,
  usageOf,
  usageText,
  versionLabel,
} from '../../lib/credentials.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import { type DeleteRefusal, deleteRefusal, refusedBy } from './credential-form-model.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';
import './drm-delete-refusal.js';

interface Loaded {
  credentials: Credential[];
  devices: Device[];
  polls: ScheduleDto[];
  usage: Map<string, CredentialUsage>;
}

/** The tenant's credentials: what each is, what uses it, when it changed; delete for writers. */
@customElement('drm-credentials-view')
export class DrmCredentialsView extends LitElement {
  static override styles = [
    base,
    css`
      /* Holds the hidden row-button words: positioned past the scrolled edge, they would
         otherwise widen the whole page on a narrow screen. */
      .table-wrap {
        position: relative;
      }
      .what {
        min-width: 10rem;
        max-width: 24rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property() tenantId = '';
  @state() private _busy = new Set<string>();
  @state() private _refused: { credential: Credential; refusal: DeleteRefusal } | null = null;
  readonly #ctx = new AppContextConsumer(this);

  readonly #data = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: async ([tenantId], signal): Promise<Loaded> => {
      const [credentials, devices, polls] = await Promise.all([
        listCredentials(tenantId, signal),
        listAllDevices(tenantId, signal),
        listAllSchedules(tenantId, {}, signal),
      ]);
      return {
        credentials: credentials.items,
        devices: devices.items,
        polls: polls.items,
        usage: credentialUsage(devices.items, polls.items),
      };
    },
  });

  async #delete(c: Credential) {
    this._busy = new Set([...this._busy, c.id]);
    this._refused = null;
    try {
      await deleteCredential(this.tenantId, c.id);
      toast(this, 'ok', `Credential ${c.name} deleted`);
      await this.#data.reload();
    } catch (err) {
      const refusal = deleteRefusal(err);
      if (refusal) {
        this._refused = { credential: c, refusal };
        // The devices or polls may have changed since the page loaded: show the hub's view.
        await this.#data.reload();
      } else toast(this, 'error', errorMessage(err));
    } finally {
      this._busy = new Set([...this._busy].filter((x) => x !== c.id));
    }
  }

  #row(c: Credential, d: Loaded, write: boolean) {
    const usage = usageOf(d.usage, c.id);
    return html`<tr>
      <th scope="row" class="what">
        <a href=${routeUrl({ name: 'credential', tenantId: this.tenantId, credentialId: c.id })}>${c.name}</a>
        <div class="small muted">${credentialSummary(c)}</div>
      </th>
      <td class="nowrap">${KIND_LABELS[c.kind]}</td>
      <td>${versionLabel(c)}</td>
      <td class="nowrap">${usageText(usage)}</td>
      <td class="nowrap" title=${formatDateTime(c.createdAt)}>${formatDate(c.createdAt)}</td>
      <td class="nowrap" title=${formatDateTime(c.updatedAt)}>${formatDate(c.updatedAt)}</td>
      ${
        write
          ? html`<td>
            <drm-confirm-button
              danger
              ?disabled=${this._busy.has(c.id)}
              heading="Delete the credential ${c.name}?"
              message=${
                usage.devices.length + usage.polls.length > 0
                  ? `Used by ${usageText(usage)}: the hub deletes a credential only once nothing uses it.`
                  : 'Its secret is gone for good; devices cannot be given it again.'
              }
              confirm-label="Delete credential"
              @drm-confirm=${() => this.#delete(c)}
              >Delete<span class="sr-only"> ${c.name}</span></drm-confirm-button
            >
          </td>`
          : nothing
      }
    </tr>`;
  }

  #table(d: Loaded, write: boolean) {
    if (d.credentials.length === 0) {
      return html`<p class="muted" role="status">
        No credentials yet. ${write ? 'Make one here, or while adding a device.' : 'Operators and admins make them.'}
      </p>`;
    }
    return html`<p class="sr-only" role="status">${d.credentials.length} credentials</p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Credential</th>
              <th scope="col">Kind</th>
              <th scope="col">Version</th>
              <th scope="col">Used by</th>
              <th scope="col">Created</th>
              <th scope="col">Changed</th>
              ${write ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : nothing}
            </tr>
          </thead>
          <tbody>
            ${d.credentials.map((c) => this.#row(c, d, write))}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    const write = can(this.#ctx.value?.role, 'credentials.write');
    const d = this.#data.value;
    const refused = this._refused;
    return html`<div class="page-head">
        <h1>Credentials</h1>
        ${
          write
            ? html`<a class="button primary" href=${routeUrl({ name: 'credential-new', tenantId: this.tenantId })}
              >New credential</a
            >`
            : nothing
        }
      </div>
      <p class="muted small">
        SNMP communities, SNMPv3 users and CWMP logins that devices use. Secrets are stored encrypted
        and never shown again, not even to admins.
      </p>
      ${
        refused && d
          ? html`<drm-delete-refusal
            .tenantId=${this.tenantId}
            .name=${refused.credential.name}
            .refusal=${refused.refusal}
            .usage=${refusedBy(refused.refusal, d.devices, d.polls)}
            @drm-dismiss=${() => (this._refused = null)}
          ></drm-delete-refusal>`
          : nothing
      }
      <drm-error-panel .error=${this.#data.error} retry @drm-retry=${() => this.#data.reload()}></drm-error-panel>
      ${
        d
          ? this.#table(d, write)
          : this.#data.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-credentials-view': DrmCredentialsView;
  }
}
