import { css } from 'lit';

/**
 * Styles every view shares: type, buttons, forms, tables, cards. Lit adopts one constructed
 * stylesheet for all shadow roots that list it, so sharing costs nothing per element.
 */
export const base = css`
  :host {
    box-sizing: border-box;
    font-family: var(--drm-font);
    color: var(--drm-text);
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  [hidden] {
    display: none !important;
  }
  h1,
  h2,
  h3 {
    line-height: 1.25;
    margin: 0 0 0.5rem;
  }
  h1 {
    font-size: 1.45rem;
  }
  h2 {
    font-size: 1.1rem;
  }
  h3 {
    font-size: 1rem;
  }
  h1:focus {
    outline: none;
  }
  p {
    margin: 0 0 0.75rem;
  }
  a {
    color: var(--drm-accent);
  }
  code,
  .mono {
    font-family: var(--drm-mono);
    font-size: 0.9em;
  }
  .muted {
    color: var(--drm-muted);
  }
  .small {
    font-size: 0.85rem;
  }
  .nowrap {
    white-space: nowrap;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  :focus-visible {
    outline: 2px solid var(--drm-focus);
    outline-offset: 2px;
  }

  .page-head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.75rem;
    justify-content: space-between;
    margin-bottom: 1rem;
  }
  .page-head h1 {
    margin: 0;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: center;
  }

  .card {
    background: var(--drm-surface);
    border: 1px solid var(--drm-border);
    border-radius: var(--drm-radius);
    box-shadow: var(--drm-shadow);
    padding: 1rem;
    margin-bottom: 1rem;
  }
  .card > h2:first-child {
    margin-bottom: 0.75rem;
  }
  .grid {
    display: grid;
    gap: 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr));
  }
  /* The filter bar above a list (jobs, events). */
  .filters {
    display: grid;
    gap: 0 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 12rem), 1fr));
    max-width: 48rem;
  }

  button,
  .button {
    font: inherit;
    font-size: 0.93rem;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.35rem;
    min-height: 2.25rem;
    padding: 0.35rem 0.85rem;
    border-radius: 6px;
    border: 1px solid var(--drm-border);
    background: var(--drm-surface);
    color: var(--drm-text);
    cursor: pointer;
    text-decoration: none;
    white-space: nowrap;
  }
  button:hover:not(:disabled),
  .button:hover {
    background: var(--drm-surface-2);
  }
  button.primary,
  .button.primary {
    background: var(--drm-accent);
    border-color: var(--drm-accent);
    color: var(--drm-accent-text);
  }
  button.primary:hover:not(:disabled),
  .button.primary:hover {
    filter: brightness(1.08);
    background: var(--drm-accent);
  }
  button.danger {
    color: var(--drm-bad);
    border-color: currentColor;
  }
  button.link {
    border: none;
    background: none;
    color: var(--drm-accent);
    padding: 0;
    min-height: auto;
    text-decoration: underline;
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }

  form {
    margin: 0;
  }
  label {
    display: block;
    font-weight: 600;
    font-size: 0.88rem;
    margin-bottom: 0.25rem;
  }
  .field {
    margin-bottom: 0.9rem;
    min-width: 0;
  }
  .field .hint {
    font-size: 0.82rem;
    color: var(--drm-muted);
    margin-top: 0.2rem;
  }
  .field .error,
  .form-error {
    font-size: 0.85rem;
    color: var(--drm-bad);
    margin-top: 0.2rem;
  }
  .row {
    display: grid;
    gap: 0 1rem;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 12rem), 1fr));
  }
  input,
  select,
  textarea {
    font: inherit;
    font-size: 0.93rem;
    width: 100%;
    min-height: 2.25rem;
    padding: 0.35rem 0.55rem;
    border-radius: 6px;
    border: 1px solid var(--drm-border);
    background: var(--drm-surface);
    color: var(--drm-text);
  }
  input[type='checkbox'],
  input[type='radio'] {
    width: auto;
    min-height: auto;
  }
  textarea {
    min-height: 5rem;
    font-family: var(--drm-mono);
  }
  [aria-invalid='true'] {
    border-color: var(--drm-bad);
  }
  fieldset {
    border: 1px solid var(--drm-border);
    border-radius: var(--drm-radius);
    padding: 0.75rem 1rem 0.25rem;
    margin: 0 0 1rem;
    min-width: 0;
  }
  legend {
    font-weight: 600;
    padding: 0 0.3rem;
  }
  .check {
    display: flex;
    align-items: center;
    gap: 0.4rem;
    font-weight: 400;
  }

  .table-wrap {
    margin-bottom: 0.75rem;
    overflow-x: auto;
    border: 1px solid var(--drm-border);
    border-radius: var(--drm-radius);
    background: var(--drm-surface);
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.9rem;
  }
  th,
  td {
    text-align: left;
    padding: 0.5rem 0.65rem;
    border-bottom: 1px solid var(--drm-border);
    vertical-align: top;
  }
  thead th {
    font-size: 0.8rem;
    text-transform: uppercase;
    letter-spacing: 0.03em;
    color: var(--drm-muted);
    background: var(--drm-surface-2);
    white-space: nowrap;
  }
  tbody th {
    font-weight: 600;
  }
  tbody th .small {
    font-weight: 400;
  }
  tbody tr:last-child > * {
    border-bottom: none;
  }
  td.num,
  th.num {
    text-align: right;
    font-variant-numeric: tabular-nums;
  }
  td.break {
    word-break: break-word;
  }

  .notice {
    border-radius: var(--drm-radius);
    padding: 0.65rem 0.85rem;
    margin-bottom: 1rem;
    background: var(--drm-neutral-soft);
  }
  .notice.bad {
    background: var(--drm-bad-soft);
    color: var(--drm-bad);
  }
  .notice.warn {
    background: var(--drm-warn-soft);
    color: var(--drm-warn);
  }
  .notice.ok {
    background: var(--drm-ok-soft);
    color: var(--drm-ok);
  }
  dl.facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.3rem 1rem;
    margin: 0;
  }
  dl.facts dt {
    color: var(--drm-muted);
  }
  dl.facts dd {
    margin: 0;
    min-width: 0;
    overflow-wrap: anywhere;
  }
`;

/** A page of one centred card (login, invitation): the brand above a form of full-width buttons. */
export const cardPage = css`
  :host {
    display: grid;
    place-items: center;
    min-height: 100vh;
    padding: 1rem;
  }
  .card {
    width: min(24rem, 100%);
    padding: 1.75rem;
  }
  .brand {
    font-weight: 800;
    letter-spacing: 0.04em;
    color: var(--drm-accent);
    margin-bottom: 0.25rem;
  }
  button.primary {
    width: 100%;
    margin-top: 0.5rem;
  }
`;
