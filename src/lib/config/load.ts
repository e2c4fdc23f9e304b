/**
 * SPEC §1: every Q2_* variable parsed once at boot, validated, frozen. Unknown Q2_* variables are
 * refused too, because a typo (Q2_DATABSE_URL) would otherwise silently fall back to defaults.
 */
import path from 'node:path';
import { isWebhookTransportAllowed } from '../notify/webhook-signature.js';
import { loadNetworkPolicy } from './network-policy.js';
import type { Config } from './types.js';
import {
  ConfigError, parseCidrList, parseEnum, parseHost, parsePort, parsePositiveInt, parseUrl,
} from './parse.js';

const KNOWN = new Set([
  'Q2_HOST', 'Q2_PORT', 'Q2_DATA_DIR', 'Q2_DATABASE_URL', 'Q2_REDIS_URL', 'Q2_TLS_CERT', 'Q2_TLS_KEY',
  'Q2_TLS_MIN_VERSION', 'Q2_TRUST_PROXY', 'Q2_KEK_PROVIDER', 'Q2_MASTER_KEY_FILE', 'Q2_MASTER_PASSPHRASE',
  'Q2_PKCS11_LIB', 'Q2_PKCS11_TOKEN_LABEL', 'Q2_PKCS11_PIN', 'Q2_SMTP_URL', 'Q2_SMS_WEBHOOK_URL',
  'Q2_SMS_WEBHOOK_SECRET', 'Q2_SYSLOG_URL', 'Q2_ALERT_WEBHOOK_URL', 'Q2_ALERT_WEBHOOK_SECRET', 'Q2_ALERT_EMAIL_SEVERITY', 'Q2_METRICS_ALLOW', 'Q2_LOG_LEVEL',
  'Q2_PAYOUT_WEBHOOK_URL', 'Q2_PAYOUT_WEBHOOK_SECRET',
  'Q2_BODY_LIMIT', 'Q2_MAX_CONNECTIONS', 'Q2_PUBLIC_URL', 'Q2_NETWORK_POLICY_FILE', 'Q2_DETECTION_RULES_FILE',
  // Test-only variables read by the test suite, never by the server.
  'Q2_TEST_DATABASE_URL', 'Q2_TEST_REDIS_URL', 'Q2_TEST_PKCS11_LIB',
]);

const MIN_PASSPHRASE_LENGTH = 16;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Parses the environment into a frozen Config; throws ConfigError on the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  for (const name of Object.keys(env)) {
    if (name.startsWith('Q2_') && !KNOWN.has(name)) throw new ConfigError(name, 'unknown variable (typo?)');
  }
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const dataDir = path.resolve(cwd, get('Q2_DATA_DIR') ?? './data');
  const databaseUrl = get('Q2_DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'q2.db')}`;
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('Q2_DATABASE_URL', 'must start with sqlite: or postgres://');
  }

  const certFile = get('Q2_TLS_CERT');
  const keyFile = get('Q2_TLS_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(certFile ? 'Q2_TLS_KEY' : 'Q2_TLS_CERT', 'Q2_TLS_CERT and Q2_TLS_KEY must be set together');
  }

  const provider = parseEnum('Q2_KEK_PROVIDER', get('Q2_KEK_PROVIDER') ?? 'local', ['local', 'pkcs11'] as const);
  const masterKeyFile = get('Q2_MASTER_KEY_FILE');
  const masterPassphrase = get('Q2_MASTER_PASSPHRASE');
  if (masterKeyFile && masterPassphrase) {
    throw new ConfigError('Q2_MASTER_PASSPHRASE', 'set either Q2_MASTER_KEY_FILE or Q2_MASTER_PASSPHRASE, not both');
  }
  if (masterPassphrase !== undefined && masterPassphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new ConfigError('Q2_MASTER_PASSPHRASE', `must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
  }
  let pkcs11: Config['keys']['pkcs11'];
  if (provider === 'pkcs11') {
    const lib = get('Q2_PKCS11_LIB');
    const tokenLabel = get('Q2_PKCS11_TOKEN_LABEL');
    const pin = get('Q2_PKCS11_PIN');
    if (!lib) throw new ConfigError('Q2_PKCS11_LIB', 'required when Q2_KEK_PROVIDER=pkcs11');
    if (!tokenLabel) throw new ConfigError('Q2_PKCS11_TOKEN_LABEL', 'required when Q2_KEK_PROVIDER=pkcs11');
    if (!pin) throw new ConfigError('Q2_PKCS11_PIN', 'required when Q2_KEK_PROVIDER=pkcs11');
    pkcs11 = { lib, tokenLabel, pin };
  }
  // Development mode: nothing secret was supplied, so the server generates a master key and a
  // self-signed certificate under the data dir and says so loudly.
  const developmentMode = provider === 'local' && !masterKeyFile && !masterPassphrase && !certFile;

  const smsWebhookUrl = get('Q2_SMS_WEBHOOK_URL');
  const smsWebhookSecret = get('Q2_SMS_WEBHOOK_SECRET');
  if (smsWebhookUrl && !smsWebhookSecret) {
    throw new ConfigError('Q2_SMS_WEBHOOK_SECRET', 'required when Q2_SMS_WEBHOOK_URL is set');
  }

  const port = parsePort('Q2_PORT', get('Q2_PORT') ?? '8443');
  const publicUrl = parseUrl('Q2_PUBLIC_URL', get('Q2_PUBLIC_URL') ?? `https://localhost:${port}`, ['https']).replace(/\/+$/, '');
  if (new URL(publicUrl).pathname !== '/' || new URL(publicUrl).search) {
    throw new ConfigError('Q2_PUBLIC_URL', 'must be an origin (scheme, host, port) without a path');
  }
  /** A signed webhook's secret: required with its URL, never short enough to guess. */
  const webhookSecret = (urlVar: string, secretVar: string, what: string): string | undefined => {
    const secret = get(secretVar);
    if (get(urlVar) && !secret) throw new ConfigError(secretVar, `required when ${urlVar} is set (${what} are signed)`);
    if (secret !== undefined && secret.length < 32) throw new ConfigError(secretVar, 'must be at least 32 characters');
    return secret;
  };
  const alertWebhookSecret = webhookSecret('Q2_ALERT_WEBHOOK_URL', 'Q2_ALERT_WEBHOOK_SECRET', 'alerts');
  // Withdrawal payouts move money: never sent unsigned, never with a guessable secret.
  const payoutWebhookUrl = get('Q2_PAYOUT_WEBHOOK_URL');
  const payoutWebhookSecret = webhookSecret('Q2_PAYOUT_WEBHOOK_URL', 'Q2_PAYOUT_WEBHOOK_SECRET', 'payouts');
  const redisUrl = get('Q2_REDIS_URL');
  const smtpUrl = get('Q2_SMTP_URL');
  const syslogUrl = get('Q2_SYSLOG_URL');
  const alertWebhookUrl = get('Q2_ALERT_WEBHOOK_URL');
  const alertEmailSeverity = get('Q2_ALERT_EMAIL_SEVERITY');
  const networkPolicyFile = get('Q2_NETWORK_POLICY_FILE');
  const detectionRulesFile = get('Q2_DETECTION_RULES_FILE');
  const config: Config = {
    developmentMode,
    dataDir,
    logLevel: parseEnum('Q2_LOG_LEVEL', get('Q2_LOG_LEVEL') ?? 'info',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    server: {
      host: parseHost('Q2_HOST', get('Q2_HOST') ?? '127.0.0.1'),
      port,
      tls: {
        ...(certFile ? { certFile: path.resolve(cwd, certFile) } : {}),
        ...(keyFile ? { keyFile: path.resolve(cwd, keyFile) } : {}),
        minVersion: parseEnum('Q2_TLS_MIN_VERSION', get('Q2_TLS_MIN_VERSION') ?? 'TLSv1.3', ['TLSv1.2', 'TLSv1.3'] as const),
      },
      trustProxy: parseCidrList('Q2_TRUST_PROXY', get('Q2_TRUST_PROXY') ?? ''),
      metricsAllow: parseCidrList('Q2_METRICS_ALLOW', get('Q2_METRICS_ALLOW') ?? '127.0.0.1/32,::1/128'),
      bodyLimitBytes: parsePositiveInt('Q2_BODY_LIMIT', get('Q2_BODY_LIMIT') ?? String(64 * 1024), 16 * 1024 * 1024),
      requestTimeoutMs: 15_000,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 5_000,
      maxHeaderSizeBytes: 16 * 1024,
      maxConnections: parsePositiveInt('Q2_MAX_CONNECTIONS', get('Q2_MAX_CONNECTIONS') ?? '10000', 1_000_000),
      publicUrl,
    },
    storage: {
      databaseUrl,
      ...(redisUrl ? { redisUrl: parseUrl('Q2_REDIS_URL', redisUrl, ['redis', 'rediss']) } : {}),
    },
    keys: {
      provider,
      dataDir,
      ...(masterKeyFile ? { masterKeyFile: path.resolve(cwd, masterKeyFile) } : {}),
      ...(masterPassphrase ? { masterPassphrase } : {}),
      ...(pkcs11 ? { pkcs11 } : {}),
    },
    // Parsed and validated by the detection capability at boot (docs/detection.md): rules are its format.
    ...(detectionRulesFile ? { detection: { rulesFile: path.resolve(cwd, detectionRulesFile) } } : {}),
    network: loadNetworkPolicy('Q2_NETWORK_POLICY_FILE', networkPolicyFile === undefined ? undefined : path.resolve(cwd, networkPolicyFile)),
    notify: {
      ...(smtpUrl ? { smtpUrl: parseUrl('Q2_SMTP_URL', smtpUrl, ['smtp', 'smtps']) } : {}),
      ...(smsWebhookUrl ? { smsWebhookUrl: signedWebhookUrl('Q2_SMS_WEBHOOK_URL', smsWebhookUrl) } : {}),
      ...(smsWebhookSecret ? { smsWebhookSecret } : {}),
      ...(syslogUrl ? { syslogUrl: parseUrl('Q2_SYSLOG_URL', syslogUrl, ['tcp', 'tls', 'udp']) } : {}),
      ...(alertWebhookUrl ? { alertWebhookUrl: parseUrl('Q2_ALERT_WEBHOOK_URL', alertWebhookUrl, ['https', 'http']) } : {}),
      ...(alertEmailSeverity ? { alertEmailMinSeverity: parseEnum('Q2_ALERT_EMAIL_SEVERITY', alertEmailSeverity, ['low', 'medium', 'high', 'critical'] as const) } : {}),
      ...(alertWebhookSecret ? { alertWebhookSecret } : {}),
      ...(payoutWebhookUrl ? { payoutWebhookUrl: signedWebhookUrl('Q2_PAYOUT_WEBHOOK_URL', payoutWebhookUrl) } : {}),
      ...(payoutWebhookSecret ? { payoutWebhookSecret } : {}),
    },
  };
  return deepFreeze(config);
}

/**
 * The SMS and payout webhooks carry one-time codes and payout orders: https, or plain http only
 * to a loopback address (a local relay). Checked here so a wrong URL names its variable at
 * start-up, as the senders themselves would refuse it later (lib/notify/webhook-signature.ts).
 */
function signedWebhookUrl(variable: string, raw: string): string {
  parseUrl(variable, raw, ['https', 'http']);
  if (!isWebhookTransportAllowed(new URL(raw))) throw new ConfigError(variable, 'must use https:// (http:// only to a loopback address)');
  return raw;
}
