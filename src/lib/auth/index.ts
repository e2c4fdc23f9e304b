export { ROLES, type ApiKeyScope, type Principal, type Role } from './principal.js';
export { PERMISSIONS, hasPermission, permissionsOf, type Permission } from './permissions.js';
