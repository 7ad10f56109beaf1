import { html, LitElement } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { base } from '../../styles.js';

/** An address the dashboard does not know, or a tenant the user has no role in (no difference shown). */
@customElement('drm-not-found-view')
export class DrmNotFoundView extends LitElement {
  static override styles = base;

  @property() path = '';

  override render() {
    return html`<h1>Not found</h1>
      <p>There is nothing at <code>${this.path}</code>, or you do not have access to it.</p>
      <p><a href="/">Go to your overview</a></p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-not-found-view': DrmNotFoundView;
  }
}
