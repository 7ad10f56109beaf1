import { css, html, LitElement, nothing } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';

/**
 * A progress bar. `value` from 0 to 1, or `null` while the end is unknown (a walk in
 * progress), shown moving. Exposed to assistive technology as a progressbar with its label.
 *
 * @csspart bar - the filled part
 */
@customElement('drm-progress')
export class DrmProgress extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .track {
      position: relative;
      height: 0.55rem;
      border-radius: 999px;
      background: var(--drm-neutral-soft);
      overflow: hidden;
    }
    .bar {
      position: absolute;
      inset: 0 auto 0 0;
      border-radius: inherit;
      background: var(--drm-accent);
      transition: width 0.3s ease;
    }
    :host([tone='ok']) .bar {
      background: var(--drm-ok);
    }
    :host([tone='bad']) .bar {
      background: var(--drm-bad);
    }
    :host([tone='warn']) .bar {
      background: var(--drm-warn);
    }
    :host([tone='idle']) .bar {
      background: var(--drm-muted);
    }
    .indeterminate {
      width: 35%;
      animation: slide 1.4s ease-in-out infinite;
    }
    @keyframes slide {
      from {
        left: -35%;
      }
      to {
        left: 100%;
      }
    }
    @media (prefers-reduced-motion: reduce) {
      .indeterminate {
        animation: none;
      }
    }
  `;

  /** Fraction done, 0..1; `null` for "working, end unknown". */
  @property({ type: Number }) value: number | null = 0;
  /** What the bar measures, for screen readers (e.g. "Job progress"). */
  @property() label = 'Progress';
  /** Text read out with the value (e.g. "3 of 5 devices"). */
  @property({ attribute: 'value-text' }) valueText = '';
  /** Colour: the default accent, or ok, bad, warn, idle (grey, for something stopped on purpose). */
  @property({ reflect: true }) tone: '' | 'ok' | 'bad' | 'warn' | 'idle' = '';
  @query('.bar') private _bar!: HTMLDivElement;

  #percent(): number | null {
    return this.value !== null && Number.isFinite(this.value)
      ? Math.round(Math.min(1, Math.max(0, this.value)) * 100)
      : null;
  }

  protected override updated(): void {
    // Through the CSSOM, not a style attribute: the hub's CSP refuses inline style attributes.
    const pct = this.#percent();
    this._bar.style.width = pct === null ? '' : `${pct}%`;
  }

  override render() {
    const pct = this.#percent();
    const known = pct !== null;
    return html`<div
      class="track"
      role="progressbar"
      aria-label=${this.label}
      aria-valuemin="0"
      aria-valuemax="100"
      aria-valuenow=${known ? pct : nothing}
      aria-valuetext=${this.valueText || (known ? `${pct}%` : 'in progress')}
    >
      <div part="bar" class="bar ${known ? '' : 'indeterminate'}"></div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-progress': DrmProgress;
  }
}
