/**
 * Focuses the first invalid input under `root`, looking into nested shadow roots, so after a
 * failed submit the keyboard lands on what needs fixing. Returns whether it found one.
 */
export async function focusFirstInvalid(root: ParentNode): Promise<boolean> {
  // Nested elements render after their parents; a frame later every error is in place.
  await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
  return findInvalid(root);
}

function findInvalid(root: ParentNode): boolean {
  for (const el of root.querySelectorAll('*')) {
    if (el.getAttribute('aria-invalid') === 'true' && el instanceof HTMLElement) {
      el.focus();
      return true;
    }
    if (el.shadowRoot && findInvalid(el.shadowRoot)) return true;
  }
  return false;
}
