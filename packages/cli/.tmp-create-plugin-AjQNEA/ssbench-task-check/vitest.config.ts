import { defineConfig } from 'vitest/config';

// This package's own tests only (without this file vitest would use the nearest parent directory's config).
export default defineConfig({ test: { include: ['src/**/*.test.ts'] } });
