export { loadConfig } from './load.js';
export { ConfigError } from './parse.js';
export type { Config, KeysConfig, NotifyConfig, ServerConfig, StorageConfig } from './types.js';
