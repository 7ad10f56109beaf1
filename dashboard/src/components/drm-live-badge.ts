import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { LiveStatus } from '../api/live.js';
import { ClockController } from '../controllers/clock.js';

/**
 * Whether live updates are flowing: "Live", "Connecting…", "Reconnecting in 8 s". Honest
 * about a dropped link, so nobody trusts a frozen page.
 */
@customElement('drm-live-badge')
export class DrmLiveBadge extends LitElement {
  static override styles = css`
    :host {
      display: inline-flex;
    }
    span {
      display: inline-flex;
      align-items: center;
      gap: 0.4em;
      font-size: 0.82rem;
      color: var(--drm-muted);
      white-space: nowrap;
    }
    span::before {
      content: '';
      width: 0.6em;
      height: 0.6em;
      border-radius: 50%;
      background: var(--drm-muted);
    }
    .open::before {
      background: var(--drm-ok);
      box-shadow: 0 0 0 3px var(--drm-ok-soft);
    }
    .waiting {
      color: var(--drm-warn);
    }
    .waiting::before {
      background: var(--drm-warn);
    }
  `;

  @property({ attribute: false }) status: LiveStatus = { state: 'idle' };
  readonly #clock = new ClockController(this, 1000);

  override render() {
    const s = this.status;
    switch (s.state) {
      case 'open':
        return html`<span class="open" title="Updates arrive as they happen">Live</span>`;
      case 'connecting':
        return html`<span>Connecting…</span>`;
      case 'waiting': {
        const seconds = Math.max(0, Math.ceil((s.retryAt - this.#clock.now) / 1000));
        return html`<span class="waiting" title="The live link to the hub dropped; pages may be out of date"
          >Reconnecting${seconds > 0 ? ` in ${seconds} s` : '…'}</span
        >`;
      }
      default:
        return html``;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-live-badge': DrmLiveBadge;
  }
}
