// The ONNX backend test suite (Debian's libonnx-testdata: node/<test>/model.onnx
// with test_data_set_0/input_*.pb and output_*.pb), forward, on both of tl's
// backends. In scope: every test whose nodes are all operators tl imports
// (onnx_import::supported_ops()). For each one:
//   - the graph's first input is the data; the others (a Conv's W, a Gemm's
//     B and C, a BatchNormalization's statistics, Clip's bounds) are bound as
//     initializers from their test data, since tl takes weights from the file;
//   - the model is imported; an ImportError is a refusal (its message kept);
//   - the reference interpreter and the JIT each run it on input_0; every
//     output element must be within 1e-7 + 1e-3 |expected| (the backend
//     suite's own tolerance) of output_0, else the test failed.
// Prints a markdown table per operator (tests, passed, refused, failed) and
// the refusals and failures; exits 1 on any failure.
//
//   onnx_conformance NODE_DIR [OUT.md] [--models DIR]
// --models DIR also writes each in-scope test's model, its inputs bound, as
// DIR/<test>.onnx: seeds for the fuzz_onnx target (scripts/fuzz.sh).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/lower/step_graph.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/onnx/onnx_import.hpp"
#include "runtime/onnx/onnx_proto.hpp"

namespace fs = std::filesystem;
using namespace tl;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

onnx::TensorProto tensor_file(const fs::path& p) {
  onnx::TensorProto t;
  if (!t.ParseFromString(read(p))) throw std::runtime_error("cannot parse " + p.string());
  return t;
}

struct Outcome {
  enum Kind { Passed, Refused, Failed } kind;
  std::string detail;
};

/// NCHW <-> NHWC for a rank-4 tensor of dims `d` (N,C,H,W): element order of
/// tl's (N,H,W,C) layout from ONNX's.
std::vector<float> to_nhwc(const std::vector<float>& v, const std::vector<std::int64_t>& d) {
  std::vector<float> out(v.size());
  const std::int64_t N = d[0], C = d[1], H = d[2], W = d[3];
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t h = 0; h < H; ++h)
        for (std::int64_t w = 0; w < W; ++w)
          out[static_cast<std::size_t>(((b * H + h) * W + w) * C + c)] = v[static_cast<std::size_t>(((b * C + c) * H + h) * W + w)];
  return out;
}

std::string models_dir;  // --models

Outcome run_test(const fs::path& dir) {
  onnx::ModelProto model;
  if (!model.ParseFromString(read(dir / "model.onnx"))) return {Outcome::Failed, "model.onnx does not parse"};
  const fs::path data = dir / "test_data_set_0";
  onnx::GraphProto& g = *model.mutable_graph();
  std::set<std::string> initialised;
  for (const auto& t : g.initializer()) initialised.insert(t.name());
  std::vector<int> runtime;  // graph inputs that are not initializers
  for (int i = 0; i < g.input_size(); ++i)
    if (!initialised.count(g.input(i).name())) runtime.push_back(i);
  if (runtime.empty()) return {Outcome::Refused, "the graph has no input"};
  // Bind every runtime input after the first as an initializer from its data.
  for (std::size_t k = 1; k < runtime.size(); ++k) {
    const fs::path file = data / ("input_" + std::to_string(k) + ".pb");
    if (!fs::exists(file)) continue;  // an optional input left out
    onnx::TensorProto t = tensor_file(file);
    t.set_name(g.input(runtime[k]).name());
    *g.add_initializer() = t;
  }
  for (int i = g.input_size() - 1; i >= 0; --i)
    if (i != runtime[0]) g.mutable_input()->DeleteSubrange(i, 1);
  if (!models_dir.empty())
    std::ofstream(fs::path(models_dir) / (dir.filename().string() + ".onnx"), std::ios::binary) << model.SerializeAsString();
  io::LoadedModel m;
  try {
    m = onnx_import::import_onnx_bytes(model.SerializeAsString(), "model.onnx");
  } catch (const data::DataError& e) {
    return {Outcome::Refused, e.message()};
  }
  m.spec.name = "net";
  const onnx_import::Constant x = onnx_import::read_tensor(tensor_file(data / "input_0.pb"), "input_0");
  const onnx_import::Constant want = onnx_import::read_tensor(tensor_file(data / "output_0.pb"), "output_0");
  if (!x.is_float || !want.is_float) return {Outcome::Refused, "non-float test data"};
  if (x.dims.empty()) return {Outcome::Refused, "a scalar input has no batch axis"};
  const std::int64_t batch = x.dims[0];
  ir::Shape shape{batch};
  shape.insert(shape.end(), m.spec.layers.front().shape.begin(), m.spec.layers.front().shape.end());
  Tensor input(std::vector<std::size_t>(shape.begin(), shape.end()));
  const std::vector<float> fed = x.dims.size() == 4 ? to_nhwc(x.floats, x.dims) : x.floats;
  if (fed.size() != input.size()) return {Outcome::Failed, "the input's size differs from the imported model's"};
  std::copy(fed.begin(), fed.end(), input.data());
  const lower::StepGraph predict = lower::build_step(m.spec, batch, lower::StepKind::Predict, nullptr);
  Tensor labels(std::vector<std::size_t>{static_cast<std::size_t>(batch)});
  exec::ReferenceExecutor reference;
  exec::JitExecutor jit(2, 0);
  // The expected values in tl's layout: a rank-4 output of a rank-4 tl
  // value is NHWC; a (N,C,1,1) global pool is tl's (N,C), the same order.
  for (const bool use_jit : {false, true}) {
    exec::Variables vars = m.vars;
    const auto out = use_jit ? jit.run(predict.graph, vars, {&input, &labels}, {})
                             : reference.run(predict.graph, vars, {&input, &labels}, {});
    const Tensor& got = out.at("scores");
    const std::vector<float> expected = want.dims.size() == 4 && got.dimension() == 4 ? to_nhwc(want.floats, want.dims) : want.floats;
    if (got.size() != expected.size())
      return {Outcome::Failed, "tl gives " + std::to_string(got.size()) + " values, the test " + std::to_string(expected.size())};
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const double a = got.data()[i], b = expected[i];
      if (!(std::fabs(a - b) <= 1e-7 + 1e-3 * std::fabs(b)))
        return {Outcome::Failed, std::string(use_jit ? "jit" : "reference") + ": element " + std::to_string(i) + " is " +
                                     std::to_string(a) + ", expected " + std::to_string(b)};
    }
  }
  return {Outcome::Passed, ""};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: onnx_conformance NODE_DIR [OUT.md] [--models DIR]\n");
    return 2;
  }
  std::string out_md;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) == "--models" && i + 1 < argc) {
      models_dir = argv[++i];
      fs::create_directories(models_dir);
    } else {
      out_md = argv[i];
    }
  }
  const std::vector<std::string>& supported = onnx_import::supported_ops();
  std::map<std::string, std::array<int, 3>> counts;  // op -> passed, refused, failed
  std::vector<std::string> notes;
  std::vector<fs::path> tests;
  for (const auto& e : fs::directory_iterator(argv[1]))
    if (fs::exists(e.path() / "model.onnx")) tests.push_back(e.path());
  std::sort(tests.begin(), tests.end());
  int failed = 0;
  for (const fs::path& dir : tests) {
    onnx::ModelProto model;
    if (!model.ParseFromString(read(dir / "model.onnx"))) continue;
    std::set<std::string> op_types;
    for (const auto& n : model.graph().node()) op_types.insert(n.op_type());
    const bool in_scope = !op_types.empty() && std::all_of(op_types.begin(), op_types.end(), [&](const std::string& op) {
      return std::find(supported.begin(), supported.end(), op) != supported.end();
    });
    if (!in_scope) continue;
    // The test's operator: the one node's, or the first that is not folding.
    std::string op = model.graph().node(0).op_type();
    for (const auto& n : model.graph().node())
      if (n.op_type() != "Constant" && n.op_type() != "Identity" && n.op_type() != "Cast") {
        op = n.op_type();
        break;
      }
    Outcome o;
    try {
      o = run_test(dir);
    } catch (const std::exception& e) {
      o = {Outcome::Failed, std::string("exception: ") + e.what()};
    }
    ++counts[op][o.kind];
    const std::string name = dir.filename().string();
    if (o.kind == Outcome::Failed) ++failed;
    if (o.kind != Outcome::Passed)
      notes.push_back("| " + name + " | " + (o.kind == Outcome::Refused ? "refused" : "**failed**") + " | " + o.detail + " |");
  }
  std::ostringstream md;
  md << "| operator | tests | passed | refused | failed |\n|---|---:|---:|---:|---:|\n";
  std::array<int, 3> total{};
  for (const auto& [op, c] : counts) {
    md << "| " << op << " | " << c[0] + c[1] + c[2] << " | " << c[0] << " | " << c[1] << " | " << c[2] << " |\n";
    for (int k = 0; k < 3; ++k) total[static_cast<std::size_t>(k)] += c[static_cast<std::size_t>(k)];
  }
  md << "| **all** | " << total[0] + total[1] + total[2] << " | " << total[0] << " | " << total[1] << " | " << total[2] << " |\n";
  md << "\n| test | outcome | why |\n|---|---|---|\n";
  for (const std::string& n : notes) md << n << "\n";
  std::fputs(md.str().c_str(), stdout);
  if (!out_md.empty()) std::ofstream(out_md) << md.str();
  return failed ? 1 : 0;
}
