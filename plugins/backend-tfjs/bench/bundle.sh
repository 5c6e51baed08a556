#!/bin/bash
# Bundles the benchmarks into standalone ES modules (tfjs and the .wasm binaries included, no node_modules
# needed), so that they can run on another machine with only `node`:
#   bash plugins/backend-tfjs/bench/bundle.sh && node plugins/backend-tfjs/dist/bench/train-step.mjs --profile
# Output: plugins/backend-tfjs/dist/bench/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../../.."
ESBUILD=$(ls -d node_modules/.pnpm/esbuild@*/node_modules/esbuild/bin/esbuild | head -1)
WASM=$(dirname "$(node -e "console.log(require.resolve('@tensorflow/tfjs-backend-wasm', { paths: ['plugins/backend-tfjs'] }))")")
OUT=plugins/backend-tfjs/dist/bench
rm -rf "$OUT"
mkdir -p "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/dist"
BANNER="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
for f in train-step kernels; do
  "$ESBUILD" "plugins/backend-tfjs/bench/$f.ts" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$OUT/$f.mjs" --banner:js="$BANNER" --log-level=warning
done
# The loader locates the .wasm binaries with require.resolve('@tensorflow/tfjs-backend-wasm'): a stub package.
cp "$WASM"/*.wasm "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/dist/"
echo '{"name":"@tensorflow/tfjs-backend-wasm","version":"4.22.0","main":"dist/tf-backend-wasm.node.js"}' > "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/package.json"
echo '// stub: the bundles carry the code' > "$OUT/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js"
echo "bundled into $OUT"
