import { describe, expect, it } from 'vitest';
import { invitationLink, tokenOf } from '../../src/lib/invitations.js';

describe('invitation links', () => {
  it('carry the token in the fragment, and give it back', () => {
    const token = 'drmi_Ab-_09xyz';
    const link = invitationLink('https://hub.example.com', token);
    expect(link).toBe('https://hub.example.com/invite#drmi_Ab-_09xyz');
    const url = new URL(link);
    expect(url.pathname).toBe('/invite');
    expect(url.search).toBe('');
    expect(tokenOf(url.hash)).toBe(token);
  });

  it('read nothing from an empty or broken fragment', () => {
    expect(tokenOf('')).toBe('');
    expect(tokenOf('#')).toBe('');
    expect(tokenOf('#%E0%A4%A')).toBe('');
    expect(tokenOf('#%20drmi_x%20')).toBe('drmi_x');
  });
});
