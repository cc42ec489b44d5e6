export * from './slo.js';
export * from './rules/types.js';
export * from './rules/recording.js';
export * from './rules/alerts.js';
export * from './rules/index.js';
