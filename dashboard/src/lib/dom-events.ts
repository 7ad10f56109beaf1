/** A message for the toast area: `ok` and `info` fade, `error` stays until dismissed. */
export interface ToastDetail {
  kind: 'ok' | 'info' | 'error';
  text: string;
}

export const TOAST_EVENT = 'drm-toast';
export const NAVIGATE_EVENT = 'drm-navigate';

/** Asks the app shell to show a toast; the event crosses shadow roots up to it. */
export function toast(from: EventTarget, kind: ToastDetail['kind'], text: string): void {
  from.dispatchEvent(
    new CustomEvent<ToastDetail>(TOAST_EVENT, { detail: { kind, text }, bubbles: true, composed: true }),
  );
}

/** Client-side navigation to a path of the dashboard (history API; the app shell listens). */
export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

/** Saves text as a file in the browser, without a round trip to the hub. */
export function downloadText(filename: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
