/**
 * The typed, frozen configuration handed down to each capability as a slice (STYLE §8).
 * Parsed once at boot from Q2_* variables by `loadConfig`; nothing reads process.env afterwards.
 */
import type { NetworkConfig } from '../../modules/network/config.js';

export interface ServerConfig {
  host: string;
  port: number;
  tls: { certFile?: string; keyFile?: string; minVersion: 'TLSv1.2' | 'TLSv1.3' };
  /** CIDRs whose X-Forwarded-For is believed. */
  trustProxy: readonly string[];
  /** CIDRs that may read /metrics without an admin token. */
  metricsAllow: readonly string[];
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxHeaderSizeBytes: number;
  maxConnections: number;
  /** The public origin users reach (WebAuthn RP ID and allowed origin), e.g. https://q2.example. */
  publicUrl: string;
}

export interface StorageConfig {
  /** `sqlite:<path>` or `postgres://…` */
  databaseUrl: string;
  /** Shared ephemeral state; undefined means in-process. */
  redisUrl?: string;
}

export interface KeysConfig {
  provider: 'local' | 'pkcs11';
  dataDir: string;
  masterKeyFile?: string;
  masterPassphrase?: string;
  pkcs11?: { lib: string; tokenLabel: string; pin: string };
}

export interface NotifyConfig {
  smtpUrl?: string;
  smsWebhookUrl?: string;
  smsWebhookSecret?: string;
  syslogUrl?: string;
  alertWebhookUrl?: string;
  /** HMAC key signing alert webhooks (required with alertWebhookUrl: alerts are never sent unsigned). */
  alertWebhookSecret?: string;
  /** Lowest alert severity mailed to admin and security users (Q2_ALERT_EMAIL_SEVERITY; default high). */
  alertEmailMinSeverity?: 'low' | 'medium' | 'high' | 'critical';
  /** Withdrawal payout port over HTTP (docs/trading.md); absent = manual payout. */
  payoutWebhookUrl?: string;
  /** HMAC key signing payout requests (required with payoutWebhookUrl). */
  payoutWebhookSecret?: string;
}

/** The network layer's policy (docs/network.md), defaults merged with Q2_NETWORK_POLICY_FILE. */
export interface NetworkPolicyConfig {
  /** Absolute path of the operator's policy file, when one was given. */
  policyFile?: string;
  policy: NetworkConfig;
}

export interface Config {
  /** True when no master key material and no TLS files were given: dev secrets are generated. */
  developmentMode: boolean;
  dataDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  server: ServerConfig;
  storage: StorageConfig;
  keys: KeysConfig;
  network: NetworkPolicyConfig;
  notify: NotifyConfig;
  /** Q2_DETECTION_RULES_FILE: extra detection rules (JSON array), added to the defaults. */
  detection?: { rulesFile: string };
}
