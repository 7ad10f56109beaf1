import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { CredentialUsage } from '../../lib/credentials.js';
import { routeUrl } from '../../lib/routes.js';
import { base } from '../../styles.js';

/**
 * The devices and polls that use a credential, as links to them; "Nothing uses it" when none.
 */
@customElement('drm-credential-users')
export class DrmCredentialUsers extends LitElement {
  static override styles = [
    base,
    css`
      ul {
        margin: 0;
        padding-left: 1.1rem;
      }
      p {
        margin: 0;
      }
    `,
  ];

  @property() tenantId = '';
  @property({ attribute: false }) usage: CredentialUsage = { devices: [], polls: [] };

  override render() {
    const { devices, polls } = this.usage;
    if (devices.length === 0 && polls.length === 0) return html`<p class="muted">Nothing uses it.</p>`;
    const t = this.tenantId;
    return html`<ul>
      ${devices.map(
        (d) => html`<li>
          Device <a href=${routeUrl({ name: 'device', tenantId: t, deviceId: d.id })}>${d.name}</a>
        </li>`,
      )}
      ${polls.map(
        (p) =>
          html`<li>Poll <a href=${routeUrl({ name: 'poll', tenantId: t, scheduleId: p.id })}>${p.name}</a></li>`,
      )}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-credential-users': DrmCredentialUsers;
  }
}
