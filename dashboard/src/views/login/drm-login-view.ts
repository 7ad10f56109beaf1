import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { login } from '../../api/auth.js';
import { describeError } from '../../api/errors.js';
import { base, cardPage } from '../../styles.js';

/**
 * The login page. The hub sets an HttpOnly session cookie; the page never handles a token.
 *
 * @fires drm-login - detail: the session (user and tenants)
 */
@customElement('drm-login-view')
export class DrmLoginView extends LitElement {
  static override styles = [base, cardPage];

  /** Where to go after logging in (the page that asked for it). */
  @property() next: string | undefined;
  @state() private _email = '';
  @state() private _password = '';
  @state() private _busy = false;
  @state() private _error: unknown;

  async #submit(ev: Event) {
    ev.preventDefault();
    this._busy = true;
    this._error = undefined;
    try {
      const session = await login({ email: this._email.trim(), password: this._password });
      this.dispatchEvent(new CustomEvent('drm-login', { detail: session, bubbles: true, composed: true }));
    } catch (err) {
      this._error = err;
      this._password = '';
      await this.updateComplete;
      (this.renderRoot.querySelector('#password') as HTMLInputElement | null)?.focus();
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const error = this._error ? describeError(this._error) : null;
    return html`<form class="card" @submit=${this.#submit} novalidate>
      <div class="brand">DRM</div>
      <h1>Log in</h1>
      <p class="muted small">Device management for your customers' networks.</p>
      ${
        error
          ? html`<div class="notice bad" role="alert" id="login-error">
            <strong>${error.title}</strong>${
              error.detail && error.detail !== error.title
                ? html`<div class="small">${error.detail}</div>`
                : nothing
            }
          </div>`
          : nothing
      }
      <div class="field">
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autocomplete="username"
          required
          .value=${this._email}
          @input=${(e: Event) => (this._email = (e.target as HTMLInputElement).value)}
          aria-describedby=${error ? 'login-error' : nothing}
        />
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          .value=${this._password}
          @input=${(e: Event) => (this._password = (e.target as HTMLInputElement).value)}
        />
      </div>
      <button class="primary" type="submit" ?disabled=${this._busy || !this._email || !this._password}>
        ${this._busy ? 'Logging in…' : 'Log in'}
      </button>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-login-view': DrmLoginView;
  }
}
