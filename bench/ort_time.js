// ONNX Runtime's side of bench/onnx_nets.sh: runs an ONNX file on a float32
// NCHW batch (one warm-up, then RUNS timed runs), writes the outputs and
// prints {"predict_ms": median} as JSON.
//   node bench/ort_time.js MODEL.onnx INPUT.bin C H W RUNS THREADS OUT.bin
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
  const [model, input, c, h, w, runs, threads, out] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: Number(threads), interOpNumThreads: 1 });
  const bytes = fs.readFileSync(input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const n = data.length / (Number(c) * Number(h) * Number(w));
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, [n, Number(c), Number(h), Number(w)]) };
  let result = await session.run(feeds);
  const ms = [];
  for (let r = 0; r < Number(runs); ++r) {
    const t = process.hrtime.bigint();
    result = await session.run(feeds);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const y = result[session.outputNames[0]];
  fs.writeFileSync(out, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  console.log(JSON.stringify({ predict_ms: Number(ms[Math.floor(ms.length / 2)].toFixed(2)), threads: Number(threads) }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
