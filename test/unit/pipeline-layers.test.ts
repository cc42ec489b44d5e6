import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Imports in apps/pipeline/src point one way: roles/ wire everything; runtime/ (the consumer loop, retries,
 * periodic tasks, process scaffolding) builds on the adapters; the adapters (kafka/, postgres/, redis/) and
 * observability/ build on nothing above them.
 */
const SRC = fileURLToPath(new URL('../../apps/pipeline/src/', import.meta.url));
const importsOf = (dir: string) =>
  readdirSync(`${SRC}${dir}`)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) =>
      [...readFileSync(`${SRC}${dir}/${f}`, 'utf8').matchAll(/^import[^;]*?from '(\.\.?\/[^']+)'/gms)].map(
        (m) => `${dir}/${f} -> ${m[1]}`,
      ),
    );

it.each([['kafka'], ['postgres'], ['redis'], ['observability'], ['errors']])(
  '%s/ imports nothing from roles/ or runtime/',
  (dir) => {
    expect(importsOf(dir).filter((i) => /-> \.\.\/(roles|runtime)\//.test(i))).toEqual([]);
  },
);

it('runtime/ imports nothing from roles/', () => {
  expect(importsOf('runtime').filter((i) => /-> \.\.\/roles\//.test(i))).toEqual([]);
});
