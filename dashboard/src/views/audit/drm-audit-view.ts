import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { AuditEntry } from '@drm/protocol';
import { listAudit } from '../../api/admin.js';
import { errorMessage } from '../../api/errors.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { formatDateTime } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { base } from '../../styles.js';
import '../../components/drm-error-panel.js';

const PAGE = 50;
const ACTOR_KINDS: Record<AuditEntry['actorKind'], string> = {
  user: '',
  'api-token': 'API token',
  agent: 'agent',
  system: 'system',
};

/** Every write in the tenant, who made it and when, newest first (admins). */
@customElement('drm-audit-view')
export class DrmAuditView extends LitElement {
  static override styles = [
    base,
    css`
      .filter {
        max-width: 24rem;
      }
      .details {
        font-family: var(--drm-mono);
        font-size: 0.8rem;
        color: var(--drm-muted);
        overflow-wrap: anywhere;
      }
    `,
  ];

  @property() tenantId = '';
  @state() private _action = '';
  @state() private _more: AuditEntry[] = [];
  @state() private _cursor: string | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #ctx = new AppContextConsumer(this);

  readonly #entries = new Resource(this, {
    args: () =>
      this.tenantId && can(this.#ctx.value?.role, 'audit.read') ? [this.tenantId, this._action] : null,
    task: async ([tenantId, action], signal) => {
      const page = await listAudit(tenantId, { action: action || undefined, limit: PAGE }, signal);
      this._more = [];
      this._cursor = page.nextCursor;
      return page.items;
    },
  });

  async #loadMore() {
    if (!this._cursor) return;
    try {
      const page = await listAudit(this.tenantId, {
        action: this._action || undefined,
        cursor: this._cursor,
        limit: PAGE,
      });
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  override render() {
    if (!can(this.#ctx.value?.role, 'audit.read')) {
      return html`<h1>Audit log</h1>
        <p class="notice">Only admins of this tenant read its audit log.</p>`;
    }
    const entries = this.#entries.value ? [...this.#entries.value, ...this._more] : null;
    return html`<div class="page-head"><h1>Audit log</h1></div>
      <div class="field filter" role="search">
        <label for="action">Action</label>
        <input
          id="action"
          type="search"
          placeholder="e.g. device.update"
          @input=${(e: Event) => {
            const value = (e.target as HTMLInputElement).value.trim();
            clearTimeout(this.#timer);
            this.#timer = setTimeout(() => (this._action = value), 300);
          }}
        />
      </div>
      <drm-error-panel .error=${this.#entries.error} retry @drm-retry=${() => this.#entries.reload()}></drm-error-panel>
      ${
        entries === null
          ? this.#entries.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
          : entries.length === 0
            ? html`<p class="muted" role="status">Nothing recorded${this._action ? ` for "${this._action}"` : ''}.</p>`
            : html`<div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${entries.map(
                      (e) => html`<tr>
                        <td class="nowrap">${formatDateTime(e.at)}</td>
                        <td>
                          ${e.actorEmail ?? (e.actorKind === 'system' ? 'the hub' : (e.actorUserId ?? '—'))}
                          ${ACTOR_KINDS[e.actorKind] ? html`<span class="small muted">(${ACTOR_KINDS[e.actorKind]})</span>` : nothing}
                        </td>
                        <td class="mono">${e.action}</td>
                        <td>
                          ${e.targetType}${e.targetId ? html` <span class="mono small muted">${e.targetId}</span>` : nothing}
                          ${Object.keys(e.details).length ? html`<div class="details">${JSON.stringify(e.details)}</div>` : nothing}
                        </td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
              ${this._cursor ? html`<p><button @click=${this.#loadMore}>Load more</button></p>` : nothing}`
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-audit-view': DrmAuditView;
  }
}
