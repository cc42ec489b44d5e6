import type { z } from 'zod';
import { ConfigError } from './errors/config-error.js';
import { ROLE_ENV, type RoleConfig } from './role-env.js';
import type { Role } from './roles.js';

/** Parses `env` with `schema`, or throws a ConfigError listing every bad variable at once. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = String(i.path[0] ?? '?');
    const given = env[name] === undefined ? 'is not set' : 'is invalid';
    return `  ${name} ${given}: ${i.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}

/** A role's configuration from the environment, parsed once at start. */
export function loadRoleConfig<R extends Role>(role: R, env: NodeJS.ProcessEnv = process.env): RoleConfig<R> {
  return parseEnv(ROLE_ENV[role], env) as RoleConfig<R>;
}
