export * from './slo.js';
export * from './rules/types.js';
export * from './rules/recording.js';
