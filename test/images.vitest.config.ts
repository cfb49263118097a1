// Runs only the image smoke test (test/integration/images.test.ts) without the integration project's
// globalSetup, which would start a control plane the test does not use:
//   node_modules/.bin/vitest run -c test/images.vitest.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/integration/images.test.ts'],
    testTimeout: 120_000,
    // A cold image build (debootstrap) takes minutes; the test's beforeAll sets its own 20 min limit.
    hookTimeout: 20 * 60_000,
  },
});
