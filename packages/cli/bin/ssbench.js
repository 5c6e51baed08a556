#!/usr/bin/env node
// The packages ship TypeScript sources; tsx's loader runs them on Node.js 20 without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/bin.ts');
