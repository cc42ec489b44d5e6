export { ScenarioError } from './scenario-error.js';
export { ChaosError } from './chaos-error.js';
