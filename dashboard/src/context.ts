import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Role, TenantMembership, User } from '@drm/protocol';

/**
 * What every view of a signed-in session needs: who is signed in and the tenant being looked
 * at, with the role there. Provided by the app shell, consumed by views, following the Web
 * Components Community Group's context protocol (`context-request` events), which is what
 * `@lit/context` implements; a few lines here spare a dependency.
 */
export interface AppContext {
  user: User;
  tenants: TenantMembership[];
  tenant: TenantMembership;
  role: Role;
}

const CONTEXT_REQUEST = 'context-request';
const APP_CONTEXT = 'drm-app-context';

type Callback = (value: AppContext, unsubscribe?: () => void) => void;

class ContextRequestEvent extends Event {
  constructor(
    readonly context: string,
    readonly callback: Callback,
    readonly subscribe: boolean,
  ) {
    super(CONTEXT_REQUEST, { bubbles: true, composed: true });
  }
}

/** Answers context requests from the host's subtree and pushes new values to subscribers. */
export class AppContextProvider implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  /** Each subscriber with the one function that ends its subscription (the same at every push). */
  readonly #subscribers = new Map<Callback, () => void>();
  #value: AppContext | null = null;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    this.#host.addEventListener(CONTEXT_REQUEST, this.#onRequest);
  }

  hostDisconnected(): void {
    this.#host.removeEventListener(CONTEXT_REQUEST, this.#onRequest);
  }

  set value(value: AppContext | null) {
    this.#value = value;
    if (value) for (const [cb, unsubscribe] of [...this.#subscribers]) cb(value, unsubscribe);
  }

  #onRequest = (ev: Event) => {
    if (!(ev instanceof ContextRequestEvent) || ev.context !== APP_CONTEXT) return;
    ev.stopPropagation();
    const { callback, subscribe } = ev;
    let unsubscribe = this.#subscribers.get(callback);
    if (!unsubscribe) {
      unsubscribe = () => this.#subscribers.delete(callback);
      if (subscribe) this.#subscribers.set(callback, unsubscribe);
    }
    if (this.#value) callback(this.#value, unsubscribe);
  };
}

/** Gives a view the app context and re-renders it when the context changes. */
export class AppContextConsumer implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #unsubscribe: (() => void) | undefined;
  value: AppContext | undefined;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    this.#host.dispatchEvent(
      new ContextRequestEvent(
        APP_CONTEXT,
        (value, unsubscribe) => {
          if (unsubscribe && unsubscribe !== this.#unsubscribe) {
            this.#unsubscribe?.();
            this.#unsubscribe = unsubscribe;
          }
          this.value = value;
          this.#host.requestUpdate();
        },
        true,
      ),
    );
  }

  hostDisconnected(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
