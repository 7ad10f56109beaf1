import { Device, LoginResponse, pageOf, type TenantMembership } from '@drm/protocol';
import { DEMO_IDS } from '@drm/hub/demo';
import { CommandError, UsageError } from './errors.js';
import { HubApiError, type HubClient } from './hub-client.js';
import { findPassword, type Options, type PasswordSource, passwordLookup } from './options.js';

/** The signed-in user, the tenants they see, and how to end the session. */
export interface Session {
  email: string;
  /** How the user was let in: the API token, or a password from this source. */
  via: { kind: 'token' } | { kind: 'password'; source: PasswordSource };
  tenants: TenantMembership[];
  /** Ends a login's session (never revokes an API token). */
  end(): Promise<void>;
}

const Me = LoginResponse.omit({ token: true });
const DevicePage = pageOf(Device);
/** Pages of a name search read at most, each of 200 devices. */
const MAX_PAGES = 10;

/** Logs in as `opts.auth` says, or checks the API token; refusals name where the secret came from. */
export async function signIn(client: HubClient, opts: Options): Promise<Session> {
  if (opts.apiToken) return withApiToken(client, opts.apiToken);
  const { email } = opts;
  const password = await findPassword(opts).catch(async (err: unknown) => {
    // Without the password file the hub is most likely not running here: say that first.
    if (err instanceof UsageError) await probe(client);
    throw err;
  });
  let login: LoginResponse;
  try {
    login = await client.request('POST', '/api/v1/auth/login', LoginResponse, {
      email,
      password: password.value,
    });
  } catch (err) {
    if (err instanceof HubApiError && err.status === 401) {
      throw new CommandError(
        `the hub refused the login of ${email} (${err.hubMessage}); ` +
          `${passwordLookup(password.source, opts.passwordFile)}. Give the password the hub was started ` +
          "with (--password or DRM_DEMO_PASSWORD), or run this with the hub's DATA_DIR",
      );
    }
    if (err instanceof HubApiError && err.status === 429) {
      throw new CommandError(
        `the hub refuses logins of ${email} for a while after wrong passwords` +
          `${err.retryAfter ? `: try again in ${err.retryAfter} s` : ''}`,
      );
    }
    throw err;
  }
  client.useToken(login.token);
  return {
    email: login.user.email,
    via: { kind: 'password', source: password.source },
    tenants: login.tenants,
    // Best effort: a session left behind expires by itself.
    end: async () => {
      const res = await client.send('POST', '/api/v1/auth/logout').catch(() => null);
      await res?.body?.cancel().catch(() => undefined);
    },
  };
}

async function withApiToken(client: HubClient, token: string): Promise<Session> {
  client.useToken(token);
  try {
    const me = await client.request('GET', '/api/v1/auth/me', Me);
    // Nothing to end: logging out with an API token would revoke it.
    return { email: me.user.email, via: { kind: 'token' }, tenants: me.tenants, end: async () => undefined };
  } catch (err) {
    if (err instanceof HubApiError && err.status === 401) {
      throw new CommandError(
        `the hub refused the API token in DRM_API_TOKEN (${err.hubMessage}); make a new one in the ` +
          "dashboard (API tokens), or unset DRM_API_TOKEN to log in with the demo admin's password",
      );
    }
    throw err;
  }
}

/** Throws the hub-unreachable error when nothing answers at the hub's address. */
async function probe(client: HubClient): Promise<void> {
  const res = await client.send('GET', '/health');
  await res.body?.cancel().catch(() => undefined);
}

export interface Found {
  tenant: TenantMembership;
  device: Device;
}

const DEMO_TENANTS: readonly string[] = [DEMO_IDS.customer, DEMO_IDS.msp];

/** The demo tenants first (customer, then MSP), then the others in the hub's order. */
function searchOrder(tenants: TenantMembership[]): TenantMembership[] {
  const rank = (t: TenantMembership) => {
    const i = DEMO_TENANTS.indexOf(t.id);
    return i === -1 ? DEMO_TENANTS.length : i;
  };
  return [...tenants].sort((a, b) => rank(a) - rank(b));
}

const tenantLabel = (t: TenantMembership) => `${t.name} (${t.id})`;

/**
 * The device `opts.device` names, in `opts.tenantId` or else in every tenant the user sees. A
 * name found in a demo tenant is the demo's; found only elsewhere, it must be unique.
 */
export async function findDevice(client: HubClient, session: Session, opts: Options): Promise<Found> {
  let tenants = searchOrder(session.tenants);
  if (opts.tenantId) {
    const tenant = tenants.find((t) => t.id.toLowerCase() === opts.tenantId);
    if (!tenant) {
      throw new CommandError(
        `${session.email} has no role in tenant ${opts.tenantId} (tenants: ${tenants.map(tenantLabel).join(', ') || 'none'})`,
      );
    }
    tenants = [tenant];
  }
  const found: Found[] = [];
  for (const tenant of tenants) {
    const devices =
      'id' in opts.device
        ? await deviceById(client, tenant.id, opts.device.id)
        : await devicesNamed(client, tenant.id, opts.device.name);
    for (const device of devices) found.push({ tenant, device });
  }
  const [first] = found;
  if (!first) throw notFound(session, tenants, opts);
  if (found.length > 1 && !DEMO_TENANTS.includes(first.tenant.id)) {
    const list = found.map((f) => `${f.device.id} in ${tenantLabel(f.tenant)}`).join(', ');
    throw new CommandError(`several devices match '${deviceText(opts)}': ${list}; choose with --tenant ID`);
  }
  return first;
}

const tenantPath = (tenantId: string) => `/api/v1/tenants/${encodeURIComponent(tenantId)}`;

async function deviceById(client: HubClient, tenantId: string, id: string): Promise<Device[]> {
  try {
    return [await client.request('GET', `${tenantPath(tenantId)}/devices/${encodeURIComponent(id)}`, Device)];
  } catch (err) {
    if (err instanceof HubApiError && err.status === 404) return [];
    throw err;
  }
}

/** Devices named exactly `name` (case aside): the hub's search matches parts of names too. */
async function devicesNamed(client: HubClient, tenantId: string, name: string): Promise<Device[]> {
  const matches: Device[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const query = new URLSearchParams({ q: name, limit: '200' });
    if (cursor) query.set('cursor', cursor);
    const res = await client.request('GET', `${tenantPath(tenantId)}/devices?${query}`, DevicePage);
    matches.push(...res.items.filter((d) => d.name.toLowerCase() === name.toLowerCase()));
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return matches;
}

const deviceText = (opts: Options) => ('id' in opts.device ? opts.device.id : opts.device.name);

function notFound(session: Session, tenants: TenantMembership[], opts: Options): CommandError {
  const where = tenants.length > 0 ? `in ${tenants.map(tenantLabel).join(', ')}` : '(they see no tenant)';
  if (!opts.deviceGiven) {
    return new CommandError(
      `the demo device ${deviceText(opts)} is not among the devices ${session.email} sees ${where}. ` +
        'Create the demo data with `npm run seed:demo` (stop the hub first when it keeps its database ' +
        'in DATA_DIR; `npm start` on a new data folder creates it too), or name a device with --device NAME_OR_ID',
    );
  }
  return new CommandError(`no device '${deviceText(opts)}' among the devices ${session.email} sees ${where}`);
}
