#!/usr/bin/env node
// tfjs_bench.js: time a TensorFlow.js graph model on TF.js's WebAssembly
// backend (SIMD) in Node and print one line of JSON: the latency of each
// run in milliseconds, after warm-up runs.
//
//   node bench/tfjs_bench.js MODEL.json [--runs 20] [--warmup 5] [--threads 2]
//
// The input is random, of the model's input shape with unknown dims set
// to 1. Node does not give the wasm backend its multithreaded build, so
// --threads is requested but the run is single-threaded; the JSON says
// how many threads ran. Needs @tensorflow/tfjs-core, -converter and
// -backend-wasm on NODE_PATH (models.sh --install puts them there).
const fs = require('fs');
const path = require('path');

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

async function main() {
  const file = process.argv[2];
  if (!file || file.startsWith('--')) throw new Error('usage: tfjs_bench.js MODEL.json [--runs N] [--warmup N] [--threads N]');
  const runs = arg('runs', 20), warmup = arg('warmup', 5), threads = arg('threads', 2);
  const tf = require('@tensorflow/tfjs-core');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const converter = require('@tensorflow/tfjs-converter');
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  wasm.setWasmPaths(path.join(wasmDir, 'dist') + path.sep);
  wasm.setThreadsCount(threads);
  await tf.setBackend('wasm');
  await tf.ready();
  const dir = path.dirname(file);
  const json = JSON.parse(fs.readFileSync(file));
  const model = await converter.loadGraphModel({
    load: async () => {
      const specs = json.weightsManifest.flatMap((g) => g.weights);
      const data = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p)))));
      return { modelTopology: json.modelTopology, weightSpecs: specs, format: json.format,
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) };
    },
  });
  const x = tf.randomUniform(model.inputs[0].shape.map((d) => (d > 0 ? d : 1)));
  const once = () => {
    const y = model.execute(x);
    for (const t of Array.isArray(y) ? y : [y]) { t.dataSync(); t.dispose(); }
  };
  for (let i = 0; i < warmup; i++) once();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    once();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const version = require('@tensorflow/tfjs-backend-wasm/package.json').version;
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  console.log(JSON.stringify({ ms, version: `tfjs-wasm ${version}${simd ? ' simd' : ''}`, threads: wasm.getThreadsCount() }));
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
