import { css } from 'lit';
import { base } from './styles.js';

/** The frame around every page: header, navigation, content; a top bar on narrow screens. */
export const shellStyles = [
  base,
  css`
    :host {
      display: block;
      min-height: 100vh;
    }
    .skip {
      position: absolute;
      left: 0.5rem;
      top: -3rem;
      z-index: 30;
      padding: 0.5rem 0.75rem;
      background: var(--drm-surface);
      border-radius: 6px;
    }
    .skip:focus {
      top: 0.5rem;
    }
    .splash {
      padding: 2rem;
      color: var(--drm-muted);
    }
    header {
      position: sticky;
      top: 0;
      z-index: 10;
      display: flex;
      align-items: center;
      gap: 0.75rem;
      padding: 0.5rem 1rem;
      min-height: 3.25rem;
      background: var(--drm-surface);
      border-bottom: 1px solid var(--drm-border);
    }
    .brand {
      font-weight: 800;
      letter-spacing: 0.04em;
      color: var(--drm-text);
      text-decoration: none;
      padding-right: 0.5rem;
    }
    .brand::before {
      content: '';
      display: inline-block;
      width: 0.7rem;
      height: 0.7rem;
      margin-right: 0.4rem;
      border-radius: 3px;
      background: var(--drm-accent);
    }
    .tenant-name {
      font-weight: 600;
    }
    .spacer {
      flex: 1;
    }
    .user {
      font-size: 0.88rem;
      color: var(--drm-muted);
      white-space: nowrap;
      overflow: hidden;
      text-overflow: ellipsis;
      max-width: 16rem;
    }
    .role {
      display: inline-block;
      margin-left: 0.3rem;
      padding: 0 0.4rem;
      border-radius: 4px;
      background: var(--drm-neutral-soft);
      font-size: 0.78rem;
      text-transform: capitalize;
    }
    .account {
      font-size: 0.88rem;
      white-space: nowrap;
    }
    .account[aria-current='page'] {
      font-weight: 600;
    }
    .menu {
      display: none;
    }
    .body {
      display: flex;
      align-items: flex-start;
    }
    nav {
      position: sticky;
      top: 3.25rem;
      flex: 0 0 12rem;
      padding: 1rem 0.5rem;
    }
    nav ul {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    nav a {
      display: block;
      padding: 0.45rem 0.75rem;
      border-radius: 6px;
      color: var(--drm-text);
      text-decoration: none;
    }
    nav a:hover {
      background: var(--drm-surface-2);
    }
    nav a[aria-current='page'] {
      background: var(--drm-accent-soft);
      color: var(--drm-accent);
      font-weight: 600;
    }
    main {
      flex: 1;
      min-width: 0;
      padding: 1.25rem 1.5rem 3rem;
      max-width: 80rem;
    }
    main:focus {
      outline: none;
    }
    main.login {
      max-width: none;
      padding: 0;
    }

    @media (max-width: 800px) {
      header {
        flex-wrap: wrap;
        gap: 0.5rem;
      }
      .menu {
        display: inline-flex;
      }
      .user {
        display: none;
      }
      .body {
        display: block;
      }
      nav {
        display: none;
        position: static;
        padding: 0.25rem 0.5rem 0.5rem;
        border-bottom: 1px solid var(--drm-border);
        background: var(--drm-surface);
      }
      nav.open {
        display: block;
      }
      main {
        padding: 1rem;
      }
    }
  `,
];
