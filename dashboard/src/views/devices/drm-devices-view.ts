import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { listAgents } from '../../api/agents.js';
import { listDevices, listSites } from '../../api/inventory.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { navigate } from '../../lib/dom-events.js';
import { can } from '../../lib/roles.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';
import '../../components/drm-status-badge.js';

const SEARCH_DELAY_MS = 250;

/** Devices of the tenant, searchable by name, address, description and tag. */
@customElement('drm-devices-view')
export class DrmDevicesView extends LitElement {
  static override styles = [
    base,
    css`
      .search {
        max-width: 28rem;
        margin-bottom: 1rem;
      }
      .tag {
        display: inline-block;
        padding: 0 0.4rem;
        margin: 0 0.2rem 0.2rem 0;
        border-radius: 4px;
        background: var(--drm-neutral-soft);
        font-size: 0.8rem;
      }
    `,
  ];

  @property() tenantId = '';
  /** The search, kept in the address so a search can be shared and survives a reload. */
  @property() q = '';
  @state() private _typed: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #ctx = new AppContextConsumer(this);

  readonly #refs = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId] : null),
    task: async ([tenantId], signal) => {
      const [sites, agents] = await Promise.all([listSites(tenantId, signal), listAgents(tenantId, signal)]);
      return { sites: new Map(sites.items.map((s) => [s.id, s.name])), agents: agents.items };
    },
  });

  readonly #devices = new Resource(this, {
    args: () => (this.tenantId ? [this.tenantId, this.q] : null),
    task: ([tenantId, q], signal) => listDevices(tenantId, { q: q || undefined, limit: 200 }, signal),
  });

  #search(value: string) {
    this._typed = value;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      navigate(routeUrl({ name: 'devices', tenantId: this.tenantId, q: value.trim() || undefined }), {
        replace: true,
      });
    }, SEARCH_DELAY_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#timer);
  }

  override render() {
    const page = this.#devices.value;
    const refs = this.#refs.value;
    const agents = new Map(refs?.agents.map((a) => [a.id, a]) ?? []);
    return html`<div class="page-head">
        <h1>Devices</h1>
        ${
          can(this.#ctx.value?.role, 'devices.write')
            ? html`<a class="button primary" href=${routeUrl({ name: 'device-new', tenantId: this.tenantId })}
              >Add device</a
            >`
            : nothing
        }
      </div>
      <div class="search field" role="search">
        <label for="q">Search devices</label>
        <input
          id="q"
          type="search"
          placeholder="Name, address, description or tag"
          .value=${this._typed ?? this.q}
          @input=${(e: Event) => this.#search((e.target as HTMLInputElement).value)}
        />
      </div>
      <drm-error-panel .error=${this.#devices.error} retry @drm-retry=${() => this.#devices.reload()}></drm-error-panel>
      ${
        !page
          ? this.#devices.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : page.items.length === 0
            ? html`<p class="muted" role="status">${this.q ? `No device matches "${this.q}".` : 'No devices yet.'}</p>`
            : html`<p class="sr-only" role="status">${page.items.length} devices</p>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Address</th>
                      <th scope="col">Site</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Protocols</th>
                      <th scope="col">Tags</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${page.items.map((d) => {
                      const agent = d.agentId ? agents.get(d.agentId) : undefined;
                      return html`<tr>
                        <th scope="row">
                          <a href=${routeUrl({ name: 'device', tenantId: this.tenantId, deviceId: d.id })}>${d.name}</a>
                        </th>
                        <td class="mono">${d.address}</td>
                        <td>${refs?.sites.get(d.siteId) ?? ''}</td>
                        <td>
                          ${
                            agent
                              ? html`${agent.name} <drm-status-badge status=${agent.state}></drm-status-badge>`
                              : html`<span class="muted">none</span>`
                          }
                        </td>
                        <td>
                          ${
                            [d.snmp ? `SNMP v${d.snmp.version}` : '', d.tr181 ? 'TR-181' : '']
                              .filter(Boolean)
                              .join(', ') || '—'
                          }
                        </td>
                        <td>${d.tags.map((t) => html`<span class="tag">${t}</span>`)}</td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>
              ${
                page.nextCursor
                  ? html`<p class="muted small">Showing the first ${page.items.length}; search to narrow the list.</p>`
                  : nothing
              }`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-devices-view': DrmDevicesView;
  }
}
