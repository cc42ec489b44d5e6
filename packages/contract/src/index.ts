export * from './roles.js';
export * from './ports.js';
export * from './role-env.js';
export * from './parse-env.js';
export * from './metrics.js';
export * from './logger.js';
export * from './likepipe-error.js';
export * from './shell-env.js';
