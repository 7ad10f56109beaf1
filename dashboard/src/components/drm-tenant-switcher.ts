import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { TenantMembership } from '@drm/protocol';
import { base } from '../styles.js';

/**
 * Chooses the tenant to look at, for people with roles in several. MSP tenants come first,
 * each followed by its customers.
 *
 * @fires drm-tenant-change - detail `{tenantId}`
 */
@customElement('drm-tenant-switcher')
export class DrmTenantSwitcher extends LitElement {
  static override styles = [
    base,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      select {
        max-width: 18rem;
      }
    `,
  ];

  @property({ attribute: false }) tenants: TenantMembership[] = [];
  @property() current = '';

  #ordered(): { t: TenantMembership; depth: number }[] {
    const ids = new Set(this.tenants.map((t) => t.id));
    const roots = this.tenants.filter((t) => !t.parentId || !ids.has(t.parentId));
    const byName = (a: TenantMembership, b: TenantMembership) => a.name.localeCompare(b.name);
    return roots.sort(byName).flatMap((r) => [
      { t: r, depth: 0 },
      ...this.tenants
        .filter((c) => c.parentId === r.id)
        .sort(byName)
        .map((c) => ({ t: c, depth: 1 })),
    ]);
  }

  override render() {
    return html`<label class="sr-only" for="tenant">Tenant</label>
      <select
        id="tenant"
        .value=${this.current}
        @change=${(e: Event) =>
          this.dispatchEvent(
            new CustomEvent('drm-tenant-change', {
              detail: { tenantId: (e.target as HTMLSelectElement).value },
            }),
          )}
      >
        ${this.#ordered().map(
          ({ t, depth }) =>
            html`<option value=${t.id} ?selected=${t.id === this.current}>
              ${depth ? '\u00a0\u00a0↳ ' : ''}${t.name} (${t.role})
            </option>`,
        )}
      </select>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-tenant-switcher': DrmTenantSwitcher;
  }
}
