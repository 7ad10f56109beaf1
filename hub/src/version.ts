/** The hub's version, reported in OpenAPI and to agents. Kept equal to hub/package.json. */
export const HUB_VERSION = '0.1.0';
