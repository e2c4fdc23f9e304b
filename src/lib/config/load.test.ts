import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { ConfigError } from './parse.js';

const cwd = '/srv/q2';

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded development defaults of SPEC §1 with an empty environment', () => {
    const config = loadConfig({}, cwd);
    expect(config.developmentMode).toBe(true);
    expect(config.dataDir).toBe('/srv/q2/data');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8443, tls: { minVersion: 'TLSv1.3' }, trustProxy: [] });
    expect(config.server.metricsAllow).toEqual(['127.0.0.1/32', '::1/128']);
    expect(config.storage.databaseUrl).toBe('sqlite:/srv/q2/data/q2.db');
    expect(config.storage.redisUrl).toBeUndefined();
    expect(config.keys.provider).toBe('local');
  });

  it('is deeply frozen so no capability can change another one\'s view', () => {
    const config = loadConfig({}, cwd);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.server.tls)).toBe(true);
    expect(() => { (config.server as { port: number }).port = 1; }).toThrow(TypeError);
  });

  it('leaves development mode when master key material or TLS files are supplied', () => {
    expect(loadConfig({ Q2_MASTER_KEY_FILE: '/k' }, cwd).developmentMode).toBe(false);
    expect(loadConfig({ Q2_MASTER_PASSPHRASE: 'correct horse battery staple' }, cwd).developmentMode).toBe(false);
    expect(loadConfig({ Q2_TLS_CERT: 'c.pem', Q2_TLS_KEY: 'k.pem' }, cwd).developmentMode).toBe(false);
  });

  it.each([
    [{ Q2_PORT: '0' }, 'Q2_PORT'],
    [{ Q2_PORT: '70000' }, 'Q2_PORT'],
    [{ Q2_PORT: '84a3' }, 'Q2_PORT'],
    [{ Q2_HOST: 'bad host!' }, 'Q2_HOST'],
    [{ Q2_DATABASE_URL: 'mysql://x' }, 'Q2_DATABASE_URL'],
    [{ Q2_REDIS_URL: 'http://x' }, 'Q2_REDIS_URL'],
    [{ Q2_TLS_MIN_VERSION: 'TLSv1.1' }, 'Q2_TLS_MIN_VERSION'],
    [{ Q2_TLS_CERT: 'c.pem' }, 'Q2_TLS_KEY'],
    [{ Q2_TRUST_PROXY: '10.0.0.0/33' }, 'Q2_TRUST_PROXY'],
    [{ Q2_TRUST_PROXY: 'example.com' }, 'Q2_TRUST_PROXY'],
    [{ Q2_METRICS_ALLOW: '::1/129' }, 'Q2_METRICS_ALLOW'],
    [{ Q2_KEK_PROVIDER: 'vault' }, 'Q2_KEK_PROVIDER'],
    [{ Q2_KEK_PROVIDER: 'pkcs11' }, 'Q2_PKCS11_LIB'],
    [{ Q2_KEK_PROVIDER: 'pkcs11', Q2_PKCS11_LIB: '/l.so', Q2_PKCS11_TOKEN_LABEL: 't' }, 'Q2_PKCS11_PIN'],
    [{ Q2_MASTER_PASSPHRASE: 'short' }, 'Q2_MASTER_PASSPHRASE'],
    [{ Q2_MASTER_PASSPHRASE: 'long enough passphrase', Q2_MASTER_KEY_FILE: '/k' }, 'Q2_MASTER_PASSPHRASE'],
    [{ Q2_SMS_WEBHOOK_URL: 'https://sms.example' }, 'Q2_SMS_WEBHOOK_SECRET'],
    [{ Q2_SYSLOG_URL: 'http://siem:514' }, 'Q2_SYSLOG_URL'],
    [{ Q2_ALERT_WEBHOOK_URL: 'https://hooks.example/q2' }, 'Q2_ALERT_WEBHOOK_SECRET'],
    [{ Q2_ALERT_WEBHOOK_URL: 'https://hooks.example/q2', Q2_ALERT_WEBHOOK_SECRET: 'short' }, 'Q2_ALERT_WEBHOOK_SECRET'],
    [{ Q2_PAYOUT_WEBHOOK_URL: 'https://custody.example/payouts' }, 'Q2_PAYOUT_WEBHOOK_SECRET'],
    [{ Q2_PAYOUT_WEBHOOK_URL: 'https://custody.example/payouts', Q2_PAYOUT_WEBHOOK_SECRET: 'short' }, 'Q2_PAYOUT_WEBHOOK_SECRET'],
    [{ Q2_PAYOUT_WEBHOOK_URL: 'ftp://custody.example', Q2_PAYOUT_WEBHOOK_SECRET: 'x'.repeat(32) }, 'Q2_PAYOUT_WEBHOOK_URL'],
    [{ Q2_PAYOUT_WEBHOOK_URL: 'http://custody.example/payouts', Q2_PAYOUT_WEBHOOK_SECRET: 'x'.repeat(32) }, 'Q2_PAYOUT_WEBHOOK_URL'],
    [{ Q2_SMS_WEBHOOK_URL: 'http://sms.example/send', Q2_SMS_WEBHOOK_SECRET: 'x'.repeat(32) }, 'Q2_SMS_WEBHOOK_URL'],
    [{ Q2_LOG_LEVEL: 'verbose' }, 'Q2_LOG_LEVEL'],
    [{ Q2_ALERT_EMAIL_SEVERITY: 'urgent' }, 'Q2_ALERT_EMAIL_SEVERITY'],
    [{ Q2_DATABSE_URL: 'postgres://x' }, 'Q2_DATABSE_URL'],
  ])('refuses %o with one line naming %s', (env, variable) => {
    const error = failure(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('accepts plain http for the SMS and payout webhooks only to a loopback relay', () => {
    const config = loadConfig({ Q2_PAYOUT_WEBHOOK_URL: 'http://127.0.0.1:9000/payouts', Q2_PAYOUT_WEBHOOK_SECRET: 'x'.repeat(32), Q2_SMS_WEBHOOK_URL: 'http://[::1]:9001/sms', Q2_SMS_WEBHOOK_SECRET: 'y'.repeat(32) }, '/tmp/q2-config-test');
    expect(config.notify.payoutWebhookUrl).toBe('http://127.0.0.1:9000/payouts');
    expect(config.notify.smsWebhookUrl).toBe('http://[::1]:9001/sms');
  });

  it('never echoes a secret value in its error message', () => {
    const error = failure({ Q2_MASTER_PASSPHRASE: 'tiny-secret' });
    expect(error.message).not.toContain('tiny-secret');
  });

  it('parses production settings', () => {
    const config = loadConfig({
      Q2_HOST: '0.0.0.0', Q2_PORT: '443', Q2_DATABASE_URL: 'postgres://db/q2', Q2_REDIS_URL: 'redis://cache:6379',
      Q2_TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32', Q2_TLS_MIN_VERSION: 'TLSv1.2',
      Q2_KEK_PROVIDER: 'pkcs11', Q2_PKCS11_LIB: '/usr/lib/softhsm/libsofthsm2.so', Q2_PKCS11_TOKEN_LABEL: 'q2', Q2_PKCS11_PIN: '1234',
    }, cwd);
    expect(config.developmentMode).toBe(false);
    expect(config.server.trustProxy).toEqual(['10.0.0.0/8', '2001:db8::/32']);
    expect(config.storage).toEqual({ databaseUrl: 'postgres://db/q2', redisUrl: 'redis://cache:6379' });
    expect(config.keys.pkcs11).toEqual({ lib: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'q2', pin: '1234' });
  });
});
