import { readFileSync } from 'node:fs';

/** SQL lives in apps/pipeline/sql/*.sql, one statement per file with a header of inputs and outputs. */
const SQL_DIR = new URL('../../sql/', import.meta.url);
const cache = new Map<string, string>();

export function sql(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`${name}.sql`, SQL_DIR), 'utf8');
    cache.set(name, text);
  }
  return text;
}

/** A named prepared statement: parsed and planned once per connection. */
export function prepared(name: string, values: unknown[]): { name: string; text: string; values: unknown[] } {
  return { name, text: sql(name), values };
}
