// The mixed scenario (loadtest/scenarios/mixed.json) for your own k6; how to run it: loadtest/README.md.
//   k6 run -e LIKEPIPE_API_URL=http://… -e LIKEPIPE_JWT_SECRET=… [-e PROFILE=short] --out json=ledger.json \
//     loadtest/k6/mixed.ts
import { k6Test } from './lib/test.ts';

// open() is called here, not in lib/: k6 resolves its relative path against the script it runs.
const test = k6Test('mixed', open('../scenarios/mixed.json'));

export const options = test.options;
export const setup = test.setup;
export const teardown = test.teardown;
export const handleSummary = test.handleSummary;
// The functions options.scenarios name in `exec`: the phases run `regular`, the bots scenario `bot`.
export const regular = test.regular;
export const bot = test.bot;
