// Projects: `unit` (pure logic, no servers), `integration` (the real local stack that scripts/test.sh brings
// up), `loadtest` (the short load tests on a stack of their own), `browser` (the demo page in headless Chromium
// against that stack), `images` (the container images), `k8s` (the operator on a real control plane) and
// `realnode` (real containers on a kubelet node joined to that control plane). Tests are TypeScript run through
// @swc/jest as ESM; `tsc -b` type-checks them.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];
const common = {
  testEnvironment: 'node',
  // State of the test stacks: the real node's containerd keeps image layers there, with our own package.json
  // files in them.
  modulePathIgnorePatterns: ['<rootDir>/.likepipe/'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@likepipe/contract$': '<rootDir>/packages/contract/src/index.ts',
    '^@likepipe/core$': '<rootDir>/packages/core/src/index.ts',
    '^@likepipe/ops$': '<rootDir>/packages/ops/src/index.ts',
    '^@likepipe/monitoring$': '<rootDir>/packages/monitoring/src/index.ts',
    '^@likepipe/client$': '<rootDir>/packages/client/src/index.ts',
    '^@likepipe/pipeline/(.*)\\.js$': '<rootDir>/apps/pipeline/src/$1.ts',
    '^@likepipe/operator/(.*)\\.js$': '<rootDir>/operator/src/$1.ts',
    '^@likepipe/loadtest/(.*)\\.js$': '<rootDir>/loadtest/src/$1.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
export default {
  // Integration tests wait for real failovers and flushes; jest only honours this at the top level.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
    {
      ...common,
      // The demo page and the client SDK in Debian's Chromium (playwright-core), against the real like-API.
      displayName: 'browser',
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    },
    {
      ...common,
      // The images scripts/images.sh builds (buildah or docker), read as docker-archives and run with runc.
      displayName: 'images',
      testMatch: ['<rootDir>/test/images/**/*.test.ts'],
    },
    {
      ...common,
      // The short load tests (loadtest/scenarios) through `npm run loadtest`, on a private 3-broker stack.
      displayName: 'loadtest',
      testMatch: ['<rootDir>/test/loadtest/**/*.test.ts'],
    },
    {
      ...common,
      // The operator, CRD and Helm chart on the real control plane scripts/test.sh starts.
      displayName: 'k8s',
      testMatch: ['<rootDir>/test/k8s/**/*.test.ts'],
    },
    {
      ...common,
      // Pods that really run: the real kubelet node (scripts/k8s/node.sh) scripts/test.sh joins to that control
      // plane unless LIKEPIPE_TEST_REALNODE=false.
      displayName: 'realnode',
      testMatch: ['<rootDir>/test/realnode/**/*.test.ts'],
    },
  ],
};
