import { html, LitElement, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { type Member, Role } from '@drm/protocol';
import { addMember, listMembers, removeMember, setMemberRole } from '../../api/admin.js';
import { errorAt, errorMessage, fieldErrors } from '../../api/errors.js';
import { AppContextConsumer } from '../../context.js';
import { Resource } from '../../controllers/resource.js';
import { toast } from '../../lib/dom-events.js';
import { formatDate } from '../../lib/format.js';
import { can } from '../../lib/roles.js';
import { base } from '../../styles.js';
import '../../components/drm-confirm-button.js';
import '../../components/drm-error-panel.js';

const ROLE_HELP =
  'Viewers look; operators also run jobs and manage devices; admins also manage sites, agents and users.';

/** Members of the tenant and their roles (admins). */
@customElement('drm-users-view')
export class DrmUsersView extends LitElement {
  static override styles = base;

  @property() tenantId = '';
  @state() private _email = '';
  @state() private _name = '';
  @state() private _role: Role = 'viewer';
  @state() private _password = '';
  @state() private _error: unknown;
  @state() private _busy = false;
  readonly #ctx = new AppContextConsumer(this);

  readonly #members = new Resource(this, {
    args: () => (this.tenantId && can(this.#ctx.value?.role, 'users.manage') ? [this.tenantId] : null),
    task: ([tenantId], signal) => listMembers(tenantId, signal),
  });

  async #add(ev: Event) {
    ev.preventDefault();
    this._busy = true;
    this._error = undefined;
    try {
      const m = await addMember(this.tenantId, {
        email: this._email.trim(),
        role: this._role,
        ...(this._name.trim() && { name: this._name.trim() }),
        ...(this._password && { password: this._password }),
      });
      toast(this, 'ok', `${m.email} added as ${m.role}`);
      this._email = '';
      this._name = '';
      this._password = '';
      await this.#members.reload();
    } catch (err) {
      this._error = err;
    } finally {
      this._busy = false;
    }
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
      <form class="card" @submit=${this.#add}>
        <h2>Add a user</h2>
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
        <div class="row">
          ${this.#field('m-name', 'Name', this._name, (v) => (this._name = v), { path: 'name', hint: 'For a new account' })}
          ${this.#field('m-password', 'Password', this._password, (v) => (this._password = v), {
            type: 'password',
            path: 'password',
            hint: 'Only to create a new account (12 characters or more); leave empty to add an existing one.',
          })}
        </div>
        <button class="primary" type="submit" ?disabled=${this._busy || !this._email}>${this._busy ? 'Adding…' : 'Add user'}</button>
      </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-users-view': DrmUsersView;
  }
}
