/**
 * An invitation's link carries its token in the fragment (`/invite#TOKEN`): browsers never send
 * a fragment to a server, so the token stays out of the hub's and any proxy's access logs.
 */
export function invitationLink(origin: string, token: string): string {
  return `${origin}/invite#${encodeURIComponent(token)}`;
}

/** The token of an invitation page's fragment (`#TOKEN`); empty when there is none. */
export function tokenOf(hash: string): string {
  try {
    return decodeURIComponent(hash.replace(/^#/, '')).trim();
  } catch {
    return '';
  }
}
