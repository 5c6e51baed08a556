/**
 * Prints the shared conformance suite's per-case max |diff| against the reference interpreter.
 *   cd /work/main && npx tsx plugins/backend-tfjs/bench/conformance-report.ts [cpu|wasm]
 */
import { checkConformance } from '@ssbench/graph/testing';
import { createSession } from '../src/plugin';

const device = (process.argv[2] ?? 'wasm') as 'cpu' | 'wasm';
const session = await createSession({ device });
const results = await checkConformance(async (graph, feeds) => {
  const exe = await session.compile(graph);
  try {
    return await exe.run(feeds);
  } finally {
    await exe.dispose();
  }
});
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(40)} ${r.maxAbsDiff.toExponential(2)}${r.error ? `  ${r.error}` : ''}`);
const worst = results.reduce((m, r) => Math.max(m, r.maxAbsDiff), 0);
console.log(`${session.version}: ${results.filter((r) => r.ok).length}/${results.length} cases pass, worst max |diff| ${worst.toExponential(2)}`);
await session.dispose();
