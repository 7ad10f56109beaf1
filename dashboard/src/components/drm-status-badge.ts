import { css, html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';

type Tone = 'ok' | 'bad' | 'warn' | 'busy' | 'idle';

/** Each status a job, a target, an agent, a token or a poll can be in, with its tone and words. */
const STATUS: Record<string, [Tone, string]> = {
  queued: ['idle', 'Queued'],
  dispatched: ['busy', 'Sent to agent'],
  running: ['busy', 'Running'],
  succeeded: ['ok', 'Succeeded'],
  failed: ['bad', 'Failed'],
  partial: ['warn', 'Partly failed'],
  cancelled: ['idle', 'Cancelled'],
  expired: ['warn', 'Expired'],
  online: ['ok', 'Online'],
  offline: ['bad', 'Offline'],
  revoked: ['idle', 'Revoked'],
  never: ['warn', 'Never connected'],
  active: ['ok', 'Active'],
  used: ['idle', 'Used'],
  enabled: ['ok', 'Enabled'],
  disabled: ['idle', 'Disabled'],
};

/**
 * A status as a coloured pill with words, never colour alone.
 *
 * @csspart badge - the pill
 */
@customElement('drm-status-badge')
export class DrmStatusBadge extends LitElement {
  static override styles = css`
    :host {
      display: inline-block;
    }
    span {
      display: inline-flex;
      align-items: center;
      gap: 0.35em;
      padding: 0.1em 0.55em;
      border-radius: 999px;
      font-size: 0.82rem;
      font-weight: 600;
      white-space: nowrap;
      background: var(--drm-neutral-soft);
      color: var(--drm-muted);
    }
    span::before {
      content: '';
      width: 0.55em;
      height: 0.55em;
      border-radius: 50%;
      background: currentColor;
    }
    .ok {
      background: var(--drm-ok-soft);
      color: var(--drm-ok);
    }
    .bad {
      background: var(--drm-bad-soft);
      color: var(--drm-bad);
    }
    .warn {
      background: var(--drm-warn-soft);
      color: var(--drm-warn);
    }
    .busy {
      background: var(--drm-accent-soft);
      color: var(--drm-accent);
    }
    .busy::before {
      animation: pulse 1.2s ease-in-out infinite;
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .busy::before {
        animation: none;
      }
    }
  `;

  /** A job or target status, an agent state, an enrollment token state, or a poll's. */
  @property() status = '';

  override render() {
    const [tone, words] = STATUS[this.status] ?? ['idle', this.status];
    return html`<span part="badge" class=${tone}>${words}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-status-badge': DrmStatusBadge;
  }
}
