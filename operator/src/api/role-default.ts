import { describeRoleEnv, type Role, type RoleEnvName } from '@likepipe/contract';

/**
 * The default the contract gives a role's variable, for the spec field that sets it: a LikePipeline that
 * leaves the field out runs the role as the role would run with the variable unset. Its own module so both the
 * CRD (api/crd.ts) and what the operator derives from a spec (desired/) can read it without importing each other.
 */
export function roleDefault<R extends Role>(role: R, name: RoleEnvName<R>): number {
  const value = describeRoleEnv(role).find((v) => v.name === name)?.default;
  if (typeof value !== 'number') throw new Error(`the contract gives ${role}'s ${name} no numeric default`);
  return value;
}
