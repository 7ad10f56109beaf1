import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Invitation, type InvitationCreated, type Member, Role } from '@drm/protocol';
import {
  invite,
  listMembers,
  listPendingInvitations,
  removeMember,
  revokeInvitation,
  setMemberRole,
} from '../../api/admin.js';
import { errorAt, errorMessage, fieldErrors } from '../../api/errors.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { formatDate, formatDateTime } from '../../lib/format.js';
import { invitationLink } from '../../lib/invitations.js';
import { can } from '../../lib/roles.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-copy-text.js';
import '../../components/drm-error-panel.js';

const ROLE_HELP =
  'Viewers look; operators also run jobs and manage devices; admins also manage sites, agents and users.';

/** Members of the tenant and their roles, and invitations to join it (admins). */
@customElement('drm-users-view')
export class DrmUsersView extends LitElement {
  static override styles = base;

  @property() tenantId = '';
  @state() private _email = '';
  @state() private _role: Role = 'viewer';
  @state() private _error: unknown;
  /** The invitation just made: its link is shown once, here. */
  @state() private _made: InvitationCreated | null = null;
  @state() private _busy = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #members = new Resource(this, {
    args: () => (this.tenantId && can(this.#ctx.value?.role, 'users.manage') ? [this.tenantId] : null),
    task: ([tenantId], signal) => listMembers(tenantId, signal),
  });

  readonly #invitations = new Resource(this, {
    args: () => (this.tenantId && can(this.#ctx.value?.role, 'users.manage') ? [this.tenantId] : null),
    task: ([tenantId], signal) => listPendingInvitations(tenantId, signal),
  });

  async #invite(ev: Event) {
    ev.preventDefault();
    this._busy = true;
    this._error = undefined;
    try {
      this._made = await invite(this.tenantId, { email: this._email.trim(), role: this._role });
      toast(this, 'ok', `Invitation for ${this._made.email} made; send them the link`);
      this._email = '';
      await this.#invitations.reload();
    } catch (err) {
      this._error = err;
    } finally {
      this._busy = false;
    }
  }

  async #revoke(i: Invitation) {
    try {
      await revokeInvitation(this.tenantId, i.id);
      toast(this, 'ok', `Invitation for ${i.email} revoked`);
      if (this._made?.id === i.id) this._made = null;
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
    await this.#invitations.reload();
  }

  #invitationsTable() {
    const pending = this.#invitations.value?.items;
    if (!pending || pending.length === 0) return nothing;
    return html`<h2>Pending invitations</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Expires</th>
              <th scope="col"><span class="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            ${pending.map(
              (i) => html`<tr>
                <th scope="row">${i.email}</th>
                <td>${i.role}</td>
                <td>${formatDateTime(i.expiresAt)}</td>
                <td>
                  <drm-confirm-button
                    danger
                    heading="Revoke the invitation for ${i.email}?"
                    message="Its link stops working."
                    confirm-label="Revoke"
                    @drm-confirm=${() => this.#revoke(i)}
                    >Revoke</drm-confirm-button
                  >
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  #madeLink() {
    const made = this._made;
    if (!made) return nothing;
    const link = invitationLink(location.origin, made.token);
    return html`<div class="notice" role="status">
      <p>
        Send this link to <strong>${made.email}</strong> (it works once, until
        ${formatDateTime(made.expiresAt)}; it is not shown again). They join as ${made.role} by signing up,
        or by logging in if they already have an account.
      </p>
      <drm-copy-text label="invitation link" .text=${link}></drm-copy-text>
    </div>`;
  }

  async #setRole(m: Member, role: Role) {
    try {
      await setMemberRole(this.tenantId, m.userId, role);
      toast(this, 'ok', `${m.email} is now ${role}`);
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
    await this.#members.reload();
  }

  async #remove(m: Member) {
    try {
      await removeMember(this.tenantId, m.userId);
      toast(this, 'ok', `${m.email} removed from this tenant`);
      await this.#members.reload();
    } catch (err) {
      toast(this, 'error', errorMessage(err));
    }
  }

  #field(
    id: string,
    label: string,
    value: string,
    set: (v: string) => void,
    opts: { type?: string; hint?: string; path: string },
  ) {
    const error = errorAt(fieldErrors(this._error), opts.path);
    return html`<div class="field">
      <label for=${id}>${label}</label>
      <input id=${id} type=${opts.type ?? 'text'} .value=${value} aria-invalid=${error ? 'true' : 'false'} autocomplete="off" @input=${(e: Event) => set((e.target as HTMLInputElement).value)} />
      ${opts.hint ? html`<div class="hint">${opts.hint}</div>` : nothing}
      ${error ? html`<div class="error">${error}</div>` : nothing}
    </div>`;
  }

  override render() {
    const me = this.#ctx.value?.user.id;
    if (!can(this.#ctx.value?.role, 'users.manage')) {
      return html`<h1>Users</h1>
        <p class="notice">Only admins of this tenant manage its users.</p>`;
    }
    const members = this.#members.value?.items;
    return html`<div class="page-head"><h1>Users</h1></div>
      <p class="muted small">${ROLE_HELP}</p>
      <drm-error-panel .error=${this.#members.error} retry @drm-retry=${() => this.#members.reload()}></drm-error-panel>
      ${
        members
          ? html`<div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Member since</th>
                  <th scope="col"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                ${members.map(
                  (m) => html`<tr>
                    <th scope="row">${m.name || m.email}<div class="small muted">${m.email}</div></th>
                    <td>
                      <label class="sr-only" for="role-${m.userId}">Role of ${m.email}</label>
                      <select id="role-${m.userId}" @change=${(e: Event) => this.#setRole(m, (e.target as HTMLSelectElement).value as Role)}>
                        ${Role.options.map((r) => html`<option value=${r} ?selected=${r === m.role}>${r}</option>`)}
                      </select>
                    </td>
                    <td>${formatDate(m.createdAt)}</td>
                    <td>
                      ${
                        m.userId === me
                          ? html`<span class="muted small">you</span>`
                          : html`<drm-confirm-button
                            danger
                            heading="Remove ${m.email}?"
                            message="They lose access to this tenant; their account and other tenants stay."
                            confirm-label="Remove"
                            @drm-confirm=${() => this.#remove(m)}
                            >Remove</drm-confirm-button
                          >`
                      }
                    </td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`
          : this.#members.loading
            ? html`<p class="muted" role="status">Loading…</p>`
            : nothing
      }
      ${this.#invitationsTable()}
      <form class="card" @submit=${this.#invite}>
        <h2>Invite a user</h2>
        <p class="muted small">
          They get a link to accept: with a new account, or with the account they already have for that email.
        </p>
        <drm-error-panel .error=${fieldErrors(this._error).size ? undefined : this._error}></drm-error-panel>
        <div class="row">
          ${this.#field('m-email', 'Email', this._email, (v) => (this._email = v), { type: 'email', path: 'email' })}
          <div class="field">
            <label for="m-role">Role</label>
            <select id="m-role" @change=${(e: Event) => (this._role = (e.target as HTMLSelectElement).value as Role)}>
              ${Role.options.map((r) => html`<option value=${r} ?selected=${r === this._role}>${r}</option>`)}
            </select>
          </div>
        </div>
        <button class="primary" type="submit" ?disabled=${this._busy || !this._email}>${this._busy ? 'Inviting…' : 'Invite'}</button>
        ${this.#madeLink()}
      </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-users-view': DrmUsersView;
  }
}
