import { createLogger as createContractLogger, type Logger, type LogLevel } from '@likepipe/contract';

export type { Logger } from '@likepipe/contract';

/** A role's logger: the contract's one log format, every line tagged with the role and the process id. */
export function createLogger(role: string, level: LogLevel = 'info'): Logger {
  return createContractLogger({ level, fields: { role, pid: process.pid } });
}
