import { html, type TemplateResult } from 'lit';

/**
 * One labelled select of a list page's filter bar, with "Any" first: `value` is the filter in
 * force ('' for none), `options` are [value, text] pairs, `onChange` gets the chosen value.
 */
export function filterSelect(f: {
  id: string;
  label: string;
  value: string;
  options: readonly (readonly [string, string])[];
  onChange: (value: string) => void;
}): TemplateResult {
  return html`<div class="field">
    <label for=${f.id}>${f.label}</label>
    <select id=${f.id} @change=${(e: Event) => f.onChange((e.target as HTMLSelectElement).value)}>
      <option value="" ?selected=${!f.value}>Any</option>
      ${f.options.map(([v, text]) => html`<option value=${v} ?selected=${v === f.value}>${text}</option>`)}
    </select>
  </div>`;
}
