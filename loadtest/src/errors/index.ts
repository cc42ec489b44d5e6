export { ScenarioError } from './scenario-error.js';
export { ChaosError } from './chaos-error.js';
export { StackEnvError } from './stack-env-error.js';
export { UsageError } from './usage-error.js';
