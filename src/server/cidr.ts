/**
 * CIDR membership for the server edge. There is one implementation, in the network module
 * (`src/modules/network/ip.ts`, also used by IP rules and allowlists); this re-export keeps
 * the edge's import path for the modules that use it.
 */
export { createCidrSet, type CidrSet } from '../modules/network/index.js';
