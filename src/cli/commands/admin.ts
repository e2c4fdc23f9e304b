/**
 * `q2 admin create --email <e> [--role admin|security|compliance]` — creates a privileged user.
 * The password is read from stdin (never argv, which other users can see in `ps`). The account
 * must enrol MFA at its first login (SPEC §3).
 */
import { parseArgs } from 'node:util';
import type { CliCommand, CliIo } from '../types.js';
import { loadCliContext } from '../context.js';
import { openCore } from '../../server/core.js';
import { checkPasswordPolicy } from '../../modules/identity/passwords/policy.js';
import type { Identity } from '../../modules/identity/capability.js';
import type { Role } from '../../lib/auth/index.js';

const PRIVILEGED: readonly Role[] = ['admin', 'security', 'compliance'];

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export const adminCommand: CliCommand = {
  name: 'admin',
  summary: 'admin create --email <e> [--role admin|security|compliance] (password on stdin)',
  async run(argv, io) {
    const [verb, ...rest] = argv;
    if (verb !== 'create') {
      io.stderr.write('q2: usage: q2 admin create --email <e> [--role admin|security|compliance]\n');
      return 2;
    }
    let values: { email?: string; role?: string };
    try {
      ({ values } = parseArgs({ args: [...rest], options: { email: { type: 'string' }, role: { type: 'string', default: 'admin' } } }));
    } catch (error) {
      io.stderr.write(`q2: ${(error as Error).message}\n`);
      return 2;
    }
    const role = values.role as Role;
    if (!values.email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) {
      io.stderr.write('q2: --email <address> is required\n');
      return 2;
    }
    if (!PRIVILEGED.includes(role)) {
      io.stderr.write(`q2: --role must be one of ${PRIVILEGED.join(', ')}\n`);
      return 2;
    }
    const password = await readStdin(io);
    const policy = checkPasswordPolicy(password, values.email);
    if (!policy.ok) {
      io.stderr.write(`q2: password rejected: ${policy.reason.replace('_', ' ')}\n`);
      return 1;
    }
    const ctx = loadCliContext(io, 'warn');
    if (!ctx) return 1;
    const opened = await openCore(ctx.config, { logger: ctx.logger, collectProcessMetrics: false });
    try {
      const { identity } = opened.capabilities.find((c) => c.name === 'identity') as unknown as { identity: Identity };
      const user = await identity.users.create({ email: values.email, passwordHash: await identity.hasher.hash(password), roles: [role] });
      if (!user) {
        io.stderr.write('q2: an account with that email already exists\n');
        return 1;
      }
      opened.core.events.emit({ type: 'admin.user.created', actor: 'cli', target: user.id, outcome: 'success', details: { role } });
      io.stdout.write(`created ${role} ${user.id}; MFA enrollment is required at first login\n`);
      return 0;
    } finally {
      await opened.close();
    }
  },
};
