import { html, LitElement, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { TenantMembership } from '@drm/protocol';
import { getSession, logout, type Session } from './api/auth.js';
import { onUnauthenticated } from './api/http.js';
import { closeLive, type LiveStatus, onLiveStatus } from './api/live.js';
import { shellStyles } from './app-shell-styles.js';
import type { Toast } from './components/drm-toast-stack.js';
import { AppContextProvider } from './context.js';
import { NAVIGATE_EVENT, navigate, TOAST_EVENT, type ToastDetail } from './lib/dom-events.js';
import { can } from './lib/roles.js';
import { parseRoute, type Route, routeUrl, sectionOf } from './lib/routes.js';
import { renderView, viewTitle } from './views/render-view.js';
import './components/drm-live-badge.js';
import './components/drm-tenant-switcher.js';
import './components/drm-toast-stack.js';
import './views/invite/drm-invite-view.js';
import './views/login/drm-login-view.js';

const LAST_TENANT = 'drm.lastTenant';
const TOAST_MS = 6000;
/**
 * How often the tenants and roles of the session are read again while the page is visible, and
 * the least time between two reads when it becomes visible again: a role given or taken in
 * another tab or by another admin shows without logging in again.
 */
const SESSION_REFRESH_MS = 60_000;
const SESSION_REFRESH_MIN_MS = 5_000;

/** Same tenants with the same names and roles. */
function sameMemberships(a: readonly TenantMembership[], b: readonly TenantMembership[]): boolean {
  if (a.length !== b.length) return false;
  const key = (t: TenantMembership) => `${t.id}|${t.role}|${t.name}|${t.kind}`;
  const keys = new Set(a.map(key));
  return b.every((t) => keys.has(key(t)));
}

const NAV = [
  ['overview', 'Overview'],
  ['devices', 'Devices'],
  ['credentials', 'Credentials'],
  ['jobs', 'Jobs'],
  ['polls', 'Polls'],
  ['events', 'Events'],
  ['agents', 'Agents'],
  ['users', 'Users'],
  ['audit', 'Audit log'],
] as const;

function here(): Route {
  return parseRoute(window.location.pathname, window.location.search);
}

/**
 * The application: session, routing, layout, toasts and the live-link indicator. Views get
 * their ids from the route as properties and the session through the app context.
 */
@customElement('drm-app')
export class DrmApp extends LitElement {
  static override styles = shellStyles;

  /** `undefined` while the session is being checked; `null` when logged out. */
  @state() private _session: Session | null | undefined = undefined;
  @state() private _route: Route = here();
  @state() private _toasts: Toast[] = [];
  @state() private _live: LiveStatus = { state: 'idle' };
  @state() private _navOpen = false;
  readonly #context = new AppContextProvider(this);
  #toastId = 0;
  #cleanups: (() => void)[] = [];
  #focusAfterRender = false;
  #sessionReadAt = 0;
  #refreshing: Promise<void> | null = null;
  /** Tenant ids a route named that the session did not hold, already looked for once. */
  readonly #soughtTenants = new Set<string>();

  override connectedCallback(): void {
    super.connectedCallback();
    const onNavigate = () => this.#routeChanged();
    window.addEventListener('popstate', onNavigate);
    window.addEventListener(NAVIGATE_EVENT, onNavigate);
    this.addEventListener('click', this.#interceptLinks);
    this.addEventListener(TOAST_EVENT, this.#onToast as EventListener);
    const onVisible = () => {
      if (
        document.visibilityState === 'visible' &&
        Date.now() - this.#sessionReadAt >= SESSION_REFRESH_MIN_MS
      )
        void this.#refreshSession();
    };
    document.addEventListener('visibilitychange', onVisible);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void this.#refreshSession();
    }, SESSION_REFRESH_MS);
    this.#cleanups.push(
      () => window.removeEventListener('popstate', onNavigate),
      () => window.removeEventListener(NAVIGATE_EVENT, onNavigate),
      () => document.removeEventListener('visibilitychange', onVisible),
      () => clearInterval(timer),
      onUnauthenticated(() => this.#sessionEnded()),
      onLiveStatus((s) => {
        this._live = s;
      }),
    );
    void this.#loadSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  async #loadSession(): Promise<void> {
    try {
      this.#signedIn(await getSession());
    } catch {
      this._session = null;
      if (this._route.name !== 'login' && this._route.name !== 'invite') this.#toLogin();
    }
  }

  /**
   * Reads the session again and takes its tenants and roles when they changed: a tenant
   * gained shows in the switcher, a role changed applies to the page shown, and a tenant lost
   * takes the person off its pages. An ended session is handled where every request's 401 is.
   */
  #refreshSession(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const before = this._session;
        if (!before) return;
        const fresh = await getSession();
        this.#sessionReadAt = Date.now();
        // Logged out, or signed in as someone else, while the request was out.
        if (this._session !== before || fresh.user.id !== before.user.id) return;
        if (sameMemberships(before.tenants, fresh.tenants)) return;
        const shown = this.#tenant();
        this._session = fresh;
        const now = shown && fresh.tenants.find((t) => t.id === shown.id);
        if (shown && !now) {
          this.#toast({ kind: 'info', text: `You no longer have a role in ${shown.name}.` });
          navigate('/', { replace: true });
          return;
        }
        if (shown && now && now.role !== shown.role) {
          this.#toast({ kind: 'info', text: `Your role in ${now.name} is now ${now.role}.` });
        }
        this.#routeChanged();
      } catch {
        // The hub is unreachable for now: the next read tries again. A 401 ends the session
        // through onUnauthenticated.
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  #signedIn(session: Session): void {
    this._session = session;
    this.#sessionReadAt = Date.now();
    if (this._route.name === 'login') navigate(this._route.next ?? '/', { replace: true });
    else this.#routeChanged();
  }

  #sessionEnded(): void {
    // Only a session that existed can end; the first check finding none is not news.
    if (!this._session) return;
    closeLive();
    this._session = null;
    this.#toLogin();
    this.#toast({ kind: 'info', text: 'Your session has ended; please log in again.' });
  }

  #toLogin(): void {
    const current = `${window.location.pathname}${window.location.search}`;
    const next = current === '/' || current.startsWith('/login') ? undefined : current;
    navigate(routeUrl(next ? { name: 'login', next } : { name: 'login' }), { replace: true });
  }

  async #logout(): Promise<void> {
    try {
      await logout();
    } catch {
      // Logged out already or the hub is unreachable: the local session ends either way.
    }
    closeLive();
    this._session = null;
    navigate('/login');
  }

  #routeChanged(): void {
    const route = here();
    const session = this._session;
    this._navOpen = false;
    if (session && route.name === 'home') {
      const tenant = this.#defaultTenant(session.tenants);
      if (tenant) {
        navigate(routeUrl({ name: 'overview', tenantId: tenant.id }), { replace: true });
        return;
      }
    }
    if (session && route.name === 'login') {
      navigate(route.next ?? '/', { replace: true });
      return;
    }
    // Only a new page moves focus; a changed search or filter keeps it where the person is typing.
    const page = (r: Route) => routeUrl(r).split('?')[0];
    if (page(route) !== page(this._route) || this._route.name !== route.name) this.#focusAfterRender = true;
    this._route = route;
    const tenant = this.#tenant();
    if (tenant) localStorage.setItem(LAST_TENANT, tenant.id);
    // A link into a tenant this session does not list (a role given since sign-in): look once.
    if (session && !tenant && 'tenantId' in route && !this.#soughtTenants.has(route.tenantId)) {
      this.#soughtTenants.add(route.tenantId);
      void this.#refreshSession();
    }
    this.#context.value =
      session && tenant ? { user: session.user, tenants: session.tenants, tenant, role: tenant.role } : null;
  }

  #defaultTenant(tenants: TenantMembership[]): TenantMembership | undefined {
    const last = localStorage.getItem(LAST_TENANT);
    return tenants.find((t) => t.id === last) ?? tenants.find((t) => t.kind === 'customer') ?? tenants[0];
  }

  /** The tenant of the route, if the user has a role in it. */
  #tenant(): TenantMembership | undefined {
    const r = this._route;
    return 'tenantId' in r ? this._session?.tenants.find((t) => t.id === r.tenantId) : undefined;
  }

  #interceptLinks = (ev: MouseEvent) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey)
      return;
    const a = ev.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!a || a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
    const path = a.pathname;
    if (path !== '/' && path !== '/login' && !path.startsWith('/t/')) return;
    ev.preventDefault();
    navigate(`${path}${a.search}`);
  };

  #onToast = (ev: CustomEvent<ToastDetail>) => {
    ev.stopPropagation();
    this.#toast(ev.detail);
  };

  #toast(detail: ToastDetail): void {
    const id = ++this.#toastId;
    this._toasts = [...this._toasts.slice(-3), { ...detail, id }];
    if (detail.kind !== 'error') setTimeout(() => this.#dismiss(id), TOAST_MS);
  }

  #dismiss(id: number): void {
    this._toasts = this._toasts.filter((t) => t.id !== id);
  }

  protected override async updated(): Promise<void> {
    const tenant = this.#tenant();
    const title = this._session ? viewTitle(this._route) : 'Log in';
    document.title = [title, tenant?.name, 'DRM'].filter(Boolean).join(' · ');
    if (!this.#focusAfterRender) return;
    this.#focusAfterRender = false;
    // Focus goes to the new page's heading, so keyboard and screen-reader users start there.
    const view = this.renderRoot.querySelector('main > *') as LitElement | null;
    if (view) await customElements.whenDefined(view.localName);
    await view?.updateComplete;
    const heading = view?.shadowRoot?.querySelector('h1') as HTMLElement | null;
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: false });
    }
    window.scrollTo(0, 0);
  }

  #nav(tenant: TenantMembership) {
    const current = sectionOf(this._route);
    const items = NAV.filter(([name]) =>
      name === 'users'
        ? can(tenant.role, 'users.manage')
        : name === 'audit'
          ? can(tenant.role, 'audit.read')
          : true,
    );
    return html`<nav aria-label="Sections" class=${this._navOpen ? 'open' : ''}>
      <ul>
        ${items.map(
          ([name, label]) => html`<li>
            <a href=${routeUrl({ name, tenantId: tenant.id })} aria-current=${current === name ? 'page' : 'false'}
              >${label}</a
            >
          </li>`,
        )}
      </ul>
    </nav>`;
  }

  #header(session: Session, tenant: TenantMembership | undefined) {
    return html`<header>
      <button
        class="menu"
        aria-label="Menu"
        aria-expanded=${this._navOpen ? 'true' : 'false'}
        @click=${() => (this._navOpen = !this._navOpen)}
      >
        ☰
      </button>
      <a class="brand" href="/">DRM</a>
      ${
        session.tenants.length > 1 && tenant
          ? html`<drm-tenant-switcher
            .tenants=${session.tenants}
            .current=${tenant.id}
            @drm-tenant-change=${(e: CustomEvent<{ tenantId: string }>) => {
              const r = this._route;
              const section = sectionOf(r) ?? 'overview';
              navigate(routeUrl({ name: section as 'overview', tenantId: e.detail.tenantId }));
            }}
          ></drm-tenant-switcher>`
          : tenant
            ? html`<span class="tenant-name">${tenant.name}</span>`
            : nothing
      }
      <span class="spacer"></span>
      <drm-live-badge .status=${this._live}></drm-live-badge>
      <span class="user" title=${session.user.email}>${session.user.name || session.user.email}
        ${tenant ? html`<span class="role">${tenant.role}</span>` : nothing}</span
      >
      ${
        tenant
          ? html`<a
            class="account"
            href=${routeUrl({ name: 'api-tokens', tenantId: tenant.id })}
            aria-current=${this._route.name === 'api-tokens' ? 'page' : 'false'}
            >API tokens</a
          >`
          : nothing
      }
      <button class="logout" @click=${this.#logout}>Log out</button>
    </header>`;
  }

  override render() {
    const session = this._session;
    const toasts = html`<drm-toast-stack
      .toasts=${this._toasts}
      @drm-dismiss=${(e: CustomEvent<{ id: number }>) => this.#dismiss(e.detail.id)}
    ></drm-toast-stack>`;
    if (session === undefined) return html`<p class="splash" role="status">Loading…</p>${toasts}`;
    // An invitation is for whoever holds its link, signed in or not.
    if (this._route.name === 'invite') {
      return html`<main id="main" class="login"><drm-invite-view .session=${session}></drm-invite-view></main>${toasts}`;
    }
    if (session === null) {
      const next = this._route.name === 'login' ? this._route.next : undefined;
      return html`<main id="main" class="login">
          <drm-login-view
            .next=${next}
            @drm-login=${(e: CustomEvent<Session>) => this.#signedIn(e.detail)}
          ></drm-login-view>
        </main>
        ${toasts}`;
    }
    const tenant = this.#tenant();
    return html`<a class="skip" href="#main" @click=${(e: Event) => {
      e.preventDefault();
      (this.renderRoot.querySelector('main') as HTMLElement | null)?.focus();
    }}>Skip to content</a>
      ${this.#header(session, tenant)}
      <div class="body">
        ${tenant ? this.#nav(tenant) : nothing}
        <main id="main" tabindex="-1">${renderView(this._route, tenant)}</main>
      </div>
      ${toasts}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'drm-app': DrmApp;
  }
}
