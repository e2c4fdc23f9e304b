/**
 * An administrator must not deny their own address: the rule would lock them out of the very
 * console that could lift it. One check for every way a deny rule is made (the IP-rule route,
 * an incident's block-ip containment).
 */
import { AppError } from '../../lib/errors/index.js';
import { cidrContains, parseCidr, parseIp } from './ip.js';

/** Throws IP_RULE_SELF_BLOCK when `cidr` (text) covers `callerIp`; a null caller is never refused. */
export function refuseSelfBlock(cidr: string, callerIp: string | null): void {
  const range = parseCidr(cidr);
  const caller = callerIp === null ? null : parseIp(callerIp);
  if (range && caller && cidrContains(range, caller)) {
    throw new AppError('IP_RULE_SELF_BLOCK', `${range.text} contains your own address.`);
  }
}
