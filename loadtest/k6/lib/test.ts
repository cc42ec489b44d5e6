import { apiUrls } from './api.ts';
import { TokenCache, jwtSecret } from './jwt.ts';
import { lifecycle } from './lifecycle.ts';
import { overridesFrom, plan } from './plan.ts';
import { profileFrom, readScenario } from './scenario.ts';
import { workload } from './workload.ts';

/**
 * Everything a scenario's script exports, from the scenario file's text. The script itself calls open(): k6
 * resolves open()'s relative path against the script being run, so the call belongs in the entry script that sits
 * in loadtest/k6/, where '../scenarios/<name>.json' means what it says, not in this module.
 */
export function k6Test(name: string, scenarioJson: string) {
  const s = readScenario(scenarioJson, name, profileFrom(__ENV.PROFILE));
  const p = plan(s, overridesFrom(__ENV));
  const urls = apiUrls(__ENV);
  const tokens = new TokenCache(jwtSecret(__ENV));
  const w = workload(s, urls, tokens);
  const l = lifecycle(s, p, urls, tokens);
  return {
    options: p.options,
    setup: l.setup,
    teardown: l.teardown,
    handleSummary: l.handleSummary,
    regular: w.regular,
    bot: w.bot,
  };
}
