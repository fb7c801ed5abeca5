// Runs an ONNX file in ONNX Runtime (npm's onnxruntime-node, the CPU runtime
// people deploy with) on a float32 NCHW batch and writes its outputs.
//   node ort_run.js MODEL.onnx INPUT.bin C H W OUT.bin
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
  const [model, input, c, h, w, out] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const bytes = fs.readFileSync(input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const per = Number(c) * Number(h) * Number(w);
  const n = data.length / per;
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor("float32", data, [n, Number(c), Number(h), Number(w)]);
  const result = await session.run(feeds);
  const scores = result[session.outputNames[0]];
  fs.writeFileSync(out, Buffer.from(scores.data.buffer, scores.data.byteOffset, scores.data.byteLength));
  console.log(`onnxruntime ${ort.env.versions ? ort.env.versions.common : ""}: ${n} inputs -> ${scores.dims.join("x")}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
