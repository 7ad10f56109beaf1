import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { InvitationPreview } from '@drm/protocol';
import { acceptInvitation, lookUpInvitation, signUpWithInvitation } from '../../api/admin.js';
import { login, type Session } from '../../api/auth.js';
import { formatDateTime } from '../../lib/format.js';
import { tokenOf } from '../../lib/invitations.js';
import { base, cardPage } from '../../styles.js';
import '../../components/drm-error-panel.js';

/**
 * An invitation to a tenant, opened from its link: the invitee sees the tenant and role, then
 * accepts with a new account (name and password) or as the account that has the invited email
 * (logging in to it here when needed). Accepted, the app opens on the tenant.
 */
@customElement('drm-invite-view')
export class DrmInviteView extends LitElement {
  static override styles = [base, cardPage];

  /** The signed-in user, if any (null: nobody). */
  @property({ attribute: false }) session: Session | null = null;
  @state() private _preview: InvitationPreview | null = null;
  @state() private _error: unknown;
  @state() private _busy = false;
  @state() private _name = '';
  @state() private _password = '';
  @state() private _accepted = false;
  readonly #token = tokenOf(window.location.hash);

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.#token) {
      this._error = new Error('This address holds no invitation; open the link exactly as you received it.');
      return;
    }
    lookUpInvitation(this.#token)
      .then((p) => {
        this._preview = p;
      })
      .catch((err: unknown) => {
        this._error = err;
      });
  }

  /** Accepted: the whole app loads again, with the session that now includes the tenant. */
  #open(tenantId: string) {
    this._accepted = true;
    window.location.assign(`/t/${encodeURIComponent(tenantId)}/overview`);
  }

  async #run(step: () => Promise<string>) {
    this._busy = true;
    this._error = undefined;
    try {
      this.#open(await step());
    } catch (err) {
      this._error = err;
      this._password = '';
    } finally {
      this._busy = false;
    }
  }

  #signUp(ev: Event) {
    ev.preventDefault();
    const p = this._preview!;
    void this.#run(async () => {
      const accepted = await signUpWithInvitation({
        token: this.#token,
        name: this._name.trim(),
        password: this._password,
      });
      await login({ email: p.email, password: this._password });
      return accepted.tenantId;
    });
  }

  #logInAndAccept(ev: Event) {
    ev.preventDefault();
    const p = this._preview!;
    void this.#run(async () => {
      await login({ email: p.email, password: this._password });
      return (await acceptInvitation(this.#token)).tenantId;
    });
  }

  #accept() {
    void this.#run(async () => (await acceptInvitation(this.#token)).tenantId);
  }

  #password(autocomplete: string, hint?: string) {
    return html`<div class="field">
      <label for="password">Password</label>
      <input
        id="password"
        type="password"
        autocomplete=${autocomplete}
        required
        minlength=${autocomplete === 'new-password' ? 12 : nothing}
        .value=${this._password}
        @input=${(e: Event) => (this._password = (e.target as HTMLInputElement).value)}
      />
      ${hint ? html`<div class="hint">${hint}</div>` : nothing}
    </div>`;
  }

  #body(p: InvitationPreview) {
    if (this._accepted) return html`<p role="status">Opening ${p.tenantName}…</p>`;
    if (p.account === 'new') {
      return html`<form @submit=${this.#signUp}>
        <p class="small">Create your account for <strong>${p.email}</strong>.</p>
        <div class="field">
          <label for="name">Your name</label>
          <input
            id="name"
            autocomplete="name"
            required
            .value=${this._name}
            @input=${(e: Event) => (this._name = (e.target as HTMLInputElement).value)}
          />
        </div>
        ${this.#password('new-password', '12 characters or more')}
        <button class="primary" type="submit" ?disabled=${this._busy || !this._name.trim() || this._password.length < 12}>
          ${this._busy ? 'Joining…' : 'Create account and join'}
        </button>
      </form>`;
    }
    if (this.session?.user.email.toLowerCase() === p.email) {
      return html`<button class="primary" ?disabled=${this._busy} @click=${this.#accept}>
        ${this._busy ? 'Joining…' : `Join ${p.tenantName}`}
      </button>`;
    }
    return html`<form @submit=${this.#logInAndAccept}>
      <p class="small">
        Log in to your account <strong>${p.email}</strong> to accept${
          this.session ? html` (you are logged in as ${this.session.user.email})` : nothing
        }.
      </p>
      ${this.#password('current-password')}
      <button class="primary" type="submit" ?disabled=${this._busy || !this._password}>
        ${this._busy ? 'Joining…' : 'Log in and join'}
      </button>
    </form>`;
  }

  override render() {
    const p = this._preview;
    return html`<div class="card">
      <div class="brand">DRM</div>
      <h1>${p ? `Join ${p.tenantName}` : 'Invitation'}</h1>
      ${p ? html`<p class="muted small">As ${p.role}; the invitation expires ${formatDateTime(p.expiresAt)}.</p>` : nothing}
      <drm-error-panel .error=${this._error}></drm-error-panel>
      ${p ? this.#body(p) : !this._error ? html`<p class="muted" role="status">Loading…</p>` : nothing}
      ${!p && this._error ? html`<p><a href="/">Go to the dashboard</a></p>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-invite-view': DrmInviteView;
  }
}
