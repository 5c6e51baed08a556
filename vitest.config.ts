import { defineConfig } from 'vitest/config';
import SummaryReporter from './tests/summary-reporter.ts';

export default defineConfig({
  test: {
    // tfjs and onnxruntime need real typed arrays: forks, not vmThreads.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', new SummaryReporter()],
    include: ['packages/*/src/**/*.test.ts', 'plugins/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
