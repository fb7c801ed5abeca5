// ONNX graph -> tl layers and weights (see onnx_import.hpp). One function per
// operator family; `Value` tracks, for every tensor of the graph, the tl
// layer that produces it and the shape ONNX gives it (without the batch).
//
// Layouts: ONNX is NCHW, tl NHWC. An image value (C,H,W) is the tl layer
// output (H,W,C). A global pool's (C,1,1) is tl's flat (C) (`spatial_one`):
// a Flatten of it is the same tensor, a 1x1 Conv on it is a dense layer, and
// multiplying an image by it scales the image's channels. A Flatten of a
// (C,H,W) image with C > 1 and H*W > 1 orders its elements (h,w,c) in tl and
// (c,h,w) in ONNX, so the Gemm (or MatMul) that reads it gets its weight rows
// permuted; nothing else may read such a value.
#include "runtime/onnx/onnx_import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "compiler/ir/activation.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"
#include "runtime/onnx/onnx_proto.hpp"

namespace tl::onnx_import {

namespace {

using check::Layer;
using check::LayerKind;
using check::ParamSpec;

struct Value {
  int layer = -1;
  std::vector<std::int64_t> shape;  // ONNX's, without the batch: (C,H,W) or (F)
  bool spatial_one = false;         // (C,1,1) held as tl's flat (C)
  std::optional<std::array<std::int64_t, 3>> flattened;  // (C,H,W) flattened in tl's (h,w,c) order
};

/// `name` as a tl identifier: letters, digits and '_', not starting with a
/// digit ("/layer1/layer1.0/conv1/Conv" -> "layer1_layer1_0_conv1_Conv").
std::string identifier(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const bool word = std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    if (word)
      out += c;
    else if (!out.empty() && out.back() != '_')
      out += '_';
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out = "n" + out;
  return out;
}

const std::vector<std::string>& ops() {
  static const std::vector<std::string> list = {
      "Add",        "AveragePool",       "BatchNormalization", "Cast",    "Clip",      "Constant", "Conv",     "Dropout",
      "Flatten",    "Gemm",              "GlobalAveragePool",  "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity",
      "LeakyRelu",  "MatMul",            "MaxPool",            "Mul",     "Pad",       "Relu",      "Reshape",  "Sigmoid",
      "Softmax",    "Tanh"};
  return list;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string path) : model_(model), path_(std::move(path)) {}

  io::LoadedModel run() {
    opset_ = opset();
    const onnx::GraphProto& g = model_.graph();
    for (const auto& t : g.initializer()) constants_[t.name()] = read_tensor(t, "initializer '" + t.name() + "'");
    for (const auto& node : g.node())
      for (const auto& in : node.input()) used_.insert(in);
    for (const auto& out : g.output()) used_.insert(out.name());
    input(g);
    for (int i = 0; i < g.node_size(); ++i) node(g.node(i), i);
    if (g.output_size() != 1)
      throw ImportError("the graph has " + std::to_string(g.output_size()) + " outputs; tl imports models with one",
                        "export the network with a single output (its scores)");
    const Value& out = value(g.output(0).name(), "the graph's output");
    if (out.flattened)
      throw ImportError("the graph's output is a Flatten of a " + shape_text(*out.flattened) +
                        " image, whose element order differs between ONNX (c,h,w) and tl (h,w,c)");
    loaded_.spec.output = out.layer;
    loaded_.spec.architecture = "onnx";
    for (std::size_t i = 1; i < loaded_.spec.layers.size(); ++i)
      if (loaded_.spec.layers[i].inputs != std::vector<int>{static_cast<int>(i) - 1}) loaded_.spec.sequential = false;
    if (loaded_.spec.output != static_cast<int>(loaded_.spec.layers.size()) - 1) loaded_.spec.sequential = false;
    return std::move(loaded_);
  }

 private:
  // --- the graph's frame ------------------------------------------------------

  int opset() const {
    std::optional<int> found;
    for (const auto& o : model_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") found = static_cast<int>(o.version());
    if (!found) throw ImportError("the model imports no opset of the default ONNX domain");
    if (*found < min_opset || *found > max_opset)
      throw ImportError(fmt::format("the model uses opset {}; tl reads opsets {} to {}", *found, min_opset, max_opset),
                        fmt::format("export it again with opset_version between {} and {}", min_opset, max_opset));
    return *found;
  }

  void input(const onnx::GraphProto& g) {
    const onnx::ValueInfoProto* in = nullptr;
    for (const auto& v : g.input()) {
      if (constants_.count(v.name())) continue;  // older exporters list initializers as inputs
      if (in)
        throw ImportError("the graph has more than one input ('" + in->name() + "', '" + v.name() + "'); tl imports models with one",
                          "export the network with its image (or feature) input only");
      in = &v;
    }
    if (!in) throw ImportError("the graph has no input");
    const auto& type = in->type();
    if (!type.has_tensor_type() || type.tensor_type().elem_type() != onnx::TensorProto::FLOAT)
      throw ImportError("the input '" + in->name() + "' is not a float tensor", "tl feeds float32 images or features");
    std::vector<std::int64_t> dims;
    for (int i = 1; i < type.tensor_type().shape().dim_size(); ++i) {
      const auto& d = type.tensor_type().shape().dim(i);
      if (!d.has_dim_value() || d.dim_value() < 1 || d.dim_value() > check::max_tensor_elements)
        throw ImportError("the input '" + in->name() + "' has no fixed size on axis " + std::to_string(i),
                          "only the batch axis (0) may be dynamic");
      dims.push_back(d.dim_value());
    }
    const int rank = type.tensor_type().shape().dim_size();
    if (rank < 1 || rank > 5)
      throw ImportError("the input '" + in->name() + "' has rank " + std::to_string(rank) +
                        "; tl imports (N,C,H,W) images, (N,F) features and other tensors of rank 1 to 5");
    Layer l;
    l.kind = LayerKind::Input;
    // (N,C,H,W) is an image, held NHWC; other ranks keep their order.
    l.shape = rank == 4 ? ir::Shape{dims[1], dims[2], dims[0]} : ir::Shape(dims.begin(), dims.end());
    if (!check::within_size_limit(l.shape)) throw ImportError("the input '" + in->name() + "' is too large");
    values_[in->name()] = Value{add(std::move(l), {}, in->name()), dims};
  }

  // --- helpers ----------------------------------------------------------------

  static std::string shape_text(const std::array<std::int64_t, 3>& s) { return fmt::format("{}x{}x{}", s[0], s[1], s[2]); }
  static std::string shape_text(const std::vector<std::int64_t>& s) { return fmt::format("({})", fmt::join(s, ",")); }

  std::string where(const onnx::NodeProto& n) const { return "node '" + n.name() + "' (" + n.op_type() + ")"; }

  const Value& value(const std::string& name, const std::string& what) const {
    auto it = values_.find(name);
    if (it == values_.end()) {
      if (constants_.count(name))
        throw ImportError(what + " is the constant '" + name + "'; tl imports operators on constants only as weights");
      throw ImportError(what + " reads '" + name + "', which no earlier node produces");
    }
    return it->second;
  }

  const Value& input_value(const onnx::NodeProto& n, int i) const {
    if (n.input_size() <= i || n.input(i).empty()) throw ImportError(where(n) + " lacks its input " + std::to_string(i));
    const Value& v = value(n.input(i), where(n));
    if (v.flattened && n.op_type() != "Gemm" && n.op_type() != "MatMul")
      throw ImportError(where(n) + " reads a Flatten of a " + shape_text(*v.flattened) +
                            " image, whose element order differs between ONNX (c,h,w) and tl (h,w,c)",
                        "tl imports such a Flatten only when a Gemm or MatMul reads it");
    return v;
  }

  const Constant* constant(const onnx::NodeProto& n, int i) const {
    if (n.input_size() <= i || n.input(i).empty()) return nullptr;
    auto it = constants_.find(n.input(i));
    return it == constants_.end() ? nullptr : &it->second;
  }

  const Constant& weight(const onnx::NodeProto& n, int i, const std::string& what) const {
    const Constant* c = constant(n, i);
    if (!c) throw ImportError(where(n) + ": its " + what + " (input " + std::to_string(i) + ") is not a constant",
                              "tl imports weights stored in the file (initializers)");
    if (!c->is_float) throw ImportError(where(n) + ": its " + what + " is not a float tensor");
    return *c;
  }

  void only_attributes(const onnx::NodeProto& n, const std::set<std::string>& known) const {
    for (const auto& a : n.attribute())
      if (!known.count(a.name()))
        throw ImportError(where(n) + " has the attribute '" + a.name() + "', which tl does not support for " + n.op_type(),
                          "docs/onnx.md lists the attributes tl reads");
  }

  /// No other node (nor the graph) reads outputs past the first.
  void single_output(const onnx::NodeProto& n) const {
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && used_.count(n.output(i)))
        throw ImportError(where(n) + ": its output " + std::to_string(i) + " ('" + n.output(i) + "') is used; tl computes only the first");
  }

  std::string unique_name(const std::string& raw) {
    const std::string base = identifier(raw);
    std::string name = base;
    for (int k = 1; names_.count(name); ++k) name = base + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }

  int add(Layer l, std::vector<int> inputs, const std::string& raw_name) {
    l.name = unique_name(raw_name);
    l.inputs = std::move(inputs);
    if (!check::within_size_limit(l.shape)) throw ImportError("layer '" + l.name + "' outputs more values than tl's limit");
    loaded_.spec.layers.push_back(std::move(l));
    return static_cast<int>(loaded_.spec.layers.size()) - 1;
  }

  static Tensor tensor(const ir::Shape& shape) {
    return Tensor(std::vector<std::size_t>(shape.begin(), shape.end()));
  }

  /// Records node output 0 as `v`.
  void produce(const onnx::NodeProto& n, Value v) {
    if (n.output_size() < 1 || n.output(0).empty()) throw ImportError(where(n) + " has no output");
    single_output(n);
    values_[n.output(0)] = std::move(v);
  }

  std::string layer_name(const onnx::NodeProto& n, int index) const {
    return n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
  }

  // --- windows ------------------------------------------------------------------

  struct Window {
    int kh = 1, kw = 1, sh = 1, sw = 1;
    ir::Padding padding = ir::Padding::Valid;
    std::array<int, 4> pads{};  // top, bottom, left, right
  };

  /// kernel_shape, strides, pads / auto_pad and dilations of a 2-D window op.
  Window window(const onnx::NodeProto& n, const Attributes& a, std::optional<std::array<std::int64_t, 2>> kernel) const {
    Window w;
    const auto k = a.integers("kernel_shape", kernel ? std::vector<std::int64_t>{(*kernel)[0], (*kernel)[1]}
                                                     : std::vector<std::int64_t>{});
    if (k.size() != 2) throw ImportError(where(n) + " needs a 2-D kernel_shape; tl imports 2-D windows only");
    if (kernel && (k[0] != (*kernel)[0] || k[1] != (*kernel)[1]))
      throw ImportError(where(n) + ": kernel_shape disagrees with the weight's");
    const auto s = a.integers("strides", {1, 1});
    const auto d = a.integers("dilations", {1, 1});
    if (s.size() != 2 || d.size() != 2) throw ImportError(where(n) + ": strides and dilations need two values");
    if (d[0] != 1 || d[1] != 1)
      throw ImportError(where(n) + fmt::format(" has dilations {}x{}; tl supports dilation 1 only", d[0], d[1]));
    for (const std::int64_t v : {k[0], k[1], s[0], s[1]})
      if (v < 1 || v > 4096) throw ImportError(where(n) + ": kernel and strides must be between 1 and 4096");
    w.kh = static_cast<int>(k[0]), w.kw = static_cast<int>(k[1]), w.sh = static_cast<int>(s[0]), w.sw = static_cast<int>(s[1]);
    const std::string autopad = a.text("auto_pad", "NOTSET");
    if (autopad == "VALID") return w;
    if (autopad == "SAME_UPPER") {
      w.padding = ir::Padding::Same;  // TF's 'same': any odd cell after
      return w;
    }
    if (autopad != "NOTSET")
      throw ImportError(where(n) + " has auto_pad " + autopad + "; tl supports NOTSET (pads), VALID and SAME_UPPER",
                        "export with explicit pads");
    const auto p = a.integers("pads", {0, 0, 0, 0});
    if (p.size() != 4) throw ImportError(where(n) + ": pads needs four values (top, left, bottom, right)");
    w.pads = {static_cast<int>(p[0]), static_cast<int>(p[2]), static_cast<int>(p[1]), static_cast<int>(p[3])};
    if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0 || p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1])
      throw ImportError(where(n) + fmt::format(" pads [{}] the {}x{} window with as many cells as its side or more", fmt::join(p, ", "), k[0], k[1]),
                        "tl pads each side with fewer cells than the window");
    if (p[0] || p[1] || p[2] || p[3]) w.padding = ir::Padding::Explicit;
    return w;
  }

  /// Output (C',H',W') of a window over image `in` (C,H,W).
  static std::pair<std::int64_t, std::int64_t> slide(const Window& w, std::int64_t h, std::int64_t wd) {
    ir::Attrs a;
    a.stride_h = w.sh, a.stride_w = w.sw, a.padding = w.padding;
    a.pad_top = w.pads[0], a.pad_bottom = w.pads[1], a.pad_left = w.pads[2], a.pad_right = w.pads[3];
    return {ir::window_rows(a, h, w.kh).out, ir::window_cols(a, wd, w.kw).out};
  }

  void set_window(Layer& l, const Window& w) const {
    l.window_h = w.kh, l.window_w = w.kw, l.stride_h = w.sh, l.stride_w = w.sw, l.padding = w.padding, l.pads = w.pads;
  }

  const Value& image(const onnx::NodeProto& n) const {
    const Value& v = input_value(n, 0);
    if (v.shape.size() != 3 || v.spatial_one)
      throw ImportError(where(n) + " needs an image (C,H,W), but its input is " + shape_text(v.shape));
    return v;
  }

  // --- operators ----------------------------------------------------------------

  void node(const onnx::NodeProto& n, int index) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      throw ImportError(where(n) + " is in the domain '" + n.domain() + "'; tl imports the default ONNX domain only");
    const std::string name = layer_name(n, index);
    if (op == "Constant") return constant_node(n);
    if (op == "Identity") return identity(n);
    if (op == "Cast") return cast(n);
    if (op == "Pad") return pad(n);
    if (op == "Conv") return conv(n, name);
    if (op == "BatchNormalization") return batchnorm(n, name);
    if (op == "MaxPool" || op == "AveragePool") return pool(n, name);
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") return global_pool(n, name);
    if (op == "Flatten" || op == "Reshape") return flatten(n, name);
    if (op == "Gemm" || op == "MatMul") return dense(n, name);
    if (op == "Add" || op == "Mul") return merge(n, name);
    if (op == "Dropout") return dropout(n, name);
    if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" || op == "HardSigmoid" || op == "HardSwish" ||
        op == "Softmax" || op == "Clip")
      return activation(n, name);
    throw ImportError(where(n) + ": tl does not support the operator " + op,
                      "tl imports " + fmt::format("{}", fmt::join(ops(), ", ")) + " (docs/onnx.md)");
  }

  void constant_node(const onnx::NodeProto& n) {
    only_attributes(n, {"value", "value_float", "value_floats", "value_int", "value_ints"});
    const Attributes a(n, where(n));
    Constant c;
    if (const auto* t = a.tensor("value")) {
      c = read_tensor(*t, where(n));
    } else if (a.has("value_float")) {
      c.floats = {a.real("value_float", 0)};
    } else if (a.has("value_int")) {
      c.is_float = false, c.ints = {a.integer("value_int", 0)};
    } else if (a.has("value_ints")) {
      c.is_float = false, c.ints = a.integers("value_ints", {});
      c.dims = {static_cast<std::int64_t>(c.ints.size())};
    } else {
      throw ImportError(where(n) + " has no value tl reads (value, value_float, value_int or value_ints)");
    }
    if (n.output_size() != 1) throw ImportError(where(n) + " must have one output");
    constants_[n.output(0)] = std::move(c);
  }

  void identity(const onnx::NodeProto& n) {
    only_attributes(n, {});
    if (n.input_size() != 1 || n.output_size() != 1) throw ImportError(where(n) + " must have one input and one output");
    if (const Constant* c = constant(n, 0)) {
      constants_[n.output(0)] = *c;
      return;
    }
    values_[n.output(0)] = input_value(n, 0);
  }

  /// Cast of a constant (exporters cast clip bounds): folded.
  void cast(const onnx::NodeProto& n) {
    only_attributes(n, {"to", "saturate"});
    const Constant* c = constant(n, 0);
    if (!c) throw ImportError(where(n) + " casts a computed tensor; tl folds Cast of constants only");
    const std::int64_t to = Attributes(n, where(n)).integer("to", 0);
    Constant out = *c;
    if (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE) {
      if (!c->is_float) out.floats.assign(c->ints.begin(), c->ints.end());
      out.is_float = true, out.ints.clear();
    } else if (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32) {
      if (c->is_float)
        for (const float f : c->floats) out.ints.push_back(static_cast<std::int64_t>(f));
      out.is_float = false, out.floats.clear();
    } else {
      throw ImportError(where(n) + " casts to type " + std::to_string(to) + "; tl folds casts to float and integer types");
    }
    if (n.output_size() != 1) throw ImportError(where(n) + " must have one output");
    constants_[n.output(0)] = std::move(out);
  }

  /// Pad: exporters write an all-zero Pad before some average pools; it is
  /// the tensor itself. Other padding is refused.
  void pad(const onnx::NodeProto& n) {
    only_attributes(n, {"mode", "pads", "value"});
    const Attributes a(n, where(n));
    std::vector<std::int64_t> pads = a.integers("pads", {});
    if (const Constant* c = constant(n, 1)) pads = c->ints;
    if (std::any_of(pads.begin(), pads.end(), [](std::int64_t p) { return p != 0; }))
      throw ImportError(where(n) + " pads its input; tl imports padding only as a convolution's or pool's own pads",
                        "export the padding as the next layer's padding argument");
    values_[n.output(0)] = input_value(n, 0);
  }

  void conv(const onnx::NodeProto& n, const std::string& name) {
    only_attributes(n, {"kernel_shape", "strides", "pads", "auto_pad", "dilations", "group"});
    const Attributes a(n, where(n));
    const Value& x = input_value(n, 0);
    const Constant& w = weight(n, 1, "weight");
    if (w.dims.size() != 4) throw ImportError(where(n) + ": tl imports 2-D convolutions (a weight of rank 4)");
    const std::int64_t group = a.integer("group", 1);
    const std::int64_t O = w.dims[0], per_group = w.dims[1], KH = w.dims[2], KW = w.dims[3];
    const Constant* bias = constant(n, 2);
    if (n.input_size() > 2 && !n.input(2).empty() && !bias) throw ImportError(where(n) + ": its bias is not a constant");
    if (bias && (bias->dims != std::vector<std::int64_t>{O} || !bias->is_float))
      throw ImportError(where(n) + ": its bias is not a float vector of " + std::to_string(O));
    // A 1x1 convolution of a (C,1,1) global pool is a dense layer.
    if (x.spatial_one) {
      const Window win = window(n, a, std::array<std::int64_t, 2>{KH, KW});
      if (KH != 1 || KW != 1 || group != 1 || win.padding != ir::Padding::Valid)
        throw ImportError(where(n) + " convolves a 1x1 image other than with a plain 1x1 kernel");
      return dense_from(n, name, x, w, bias, /*rows_are_inputs=*/false, std::nullopt);
    }
    const Value& img = image(n);
    const std::int64_t C = img.shape[0];
    const Window win = window(n, a, std::array<std::int64_t, 2>{KH, KW});
    const auto [oh, ow] = checked_slide(n, win, img.shape[1], img.shape[2]);
    Layer l;
    set_window(l, win);
    l.use_bias = bias != nullptr;
    l.units = static_cast<int>(O);
    l.shape = {oh, ow, O};
    ir::Shape kshape;
    Tensor kernel;
    if (group == 1) {
      if (per_group != C) throw ImportError(where(n) + fmt::format(": its weight takes {} channels, its input has {}", per_group, C));
      l.kind = LayerKind::Conv2D;
      kshape = {KH, KW, C, O};
      kernel = tensor(kshape);
      // OIHW -> HWIO
      for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t i = 0; i < C; ++i)
          for (std::int64_t h = 0; h < KH; ++h)
            for (std::int64_t v = 0; v < KW; ++v)
              kernel.data()[((h * KW + v) * C + i) * O + o] = w.floats[static_cast<std::size_t>(((o * C + i) * KH + h) * KW + v)];
      l.params.push_back({"kernel", kshape, true, check::Init::GlorotUniform, KH * KW * C, KH * KW * O});
    } else if (group == C && per_group == 1 && O % C == 0) {
      // Depthwise: (C*M, 1, KH, KW) -> (KH, KW, C, M); output o = c*M + m in both.
      const std::int64_t M = O / C;
      l.kind = LayerKind::DepthwiseConv2D;
      kshape = {KH, KW, C, M};
      kernel = tensor(kshape);
      for (std::int64_t o = 0; o < O; ++o)
        for (std::int64_t h = 0; h < KH; ++h)
          for (std::int64_t v = 0; v < KW; ++v)
            kernel.data()[(h * KW + v) * O + o] = w.floats[static_cast<std::size_t>((o * KH + h) * KW + v)];
      l.params.push_back({"depthwise_kernel", kshape, true, check::Init::GlorotUniform, KH * KW * C, KH * KW * M});
    } else {
      throw ImportError(where(n) + fmt::format(" has group {} on {} channels; tl supports group 1 and depthwise (group = channels)", group, C));
    }
    const int index = add(l, {img.layer}, name);
    Layer& made = loaded_.spec.layers[static_cast<std::size_t>(index)];
    loaded_.vars.tensors[made.name + "/" + made.params[0].name] = std::move(kernel);
    if (bias) {
      made.params.push_back({"bias", {O}, true, check::Init::Zeros, 0, 0});
      loaded_.vars.tensors[made.name + "/bias"] = vector_tensor(bias->floats);
    }
    produce(n, Value{index, {O, oh, ow}});
  }

  std::pair<std::int64_t, std::int64_t> checked_slide(const onnx::NodeProto& n, const Window& w, std::int64_t h,
                                                       std::int64_t wd) const {
    try {
      return slide(w, h, wd);
    } catch (const std::logic_error& e) {
      throw ImportError(where(n) + fmt::format(": its {}x{} window does not fit the {}x{} input", w.kh, w.kw, h, wd));
    }
  }

  static Tensor vector_tensor(const std::vector<float>& v) {
    Tensor t = tensor({static_cast<std::int64_t>(v.size())});
    std::copy(v.begin(), v.end(), t.data());
    return t;
  }

  void batchnorm(const onnx::NodeProto& n, const std::string& name) {
    only_attributes(n, {"epsilon", "momentum", "spatial", "training_mode"});
    const Attributes a(n, where(n));
    if (a.integer("training_mode", 0) != 0) throw ImportError(where(n) + " is in training mode; tl imports inference graphs");
    if (a.integer("spatial", 1) != 1) throw ImportError(where(n) + " has spatial = 0; tl normalises per channel");
    const Value& x = input_value(n, 0);
    if (x.shape.size() != 3 || x.spatial_one) throw ImportError(where(n) + " needs an image (C,H,W) input");
    const std::int64_t C = x.shape[0];
    Layer l;
    l.kind = LayerKind::BatchNorm;
    l.shape = {x.shape[1], x.shape[2], C};
    l.epsilon = a.real("epsilon", 1e-5f);
    l.momentum = a.real("momentum", 0.9f);
    if (!(l.epsilon > 0) || !(l.momentum >= 0 && l.momentum < 1))
      throw ImportError(where(n) + ": epsilon must be positive and momentum in [0, 1)");
    const char* names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    const int index = add(l, {x.layer}, name);
    Layer& made = loaded_.spec.layers[static_cast<std::size_t>(index)];
    for (int k = 0; k < 4; ++k) {
      const Constant& c = weight(n, k + 1, names[k]);
      if (c.dims != std::vector<std::int64_t>{C}) throw ImportError(where(n) + ": its " + names[k] + " is not a vector of " + std::to_string(C));
      made.params.push_back({names[k], {C}, k < 2, k == 0 || k == 3 ? check::Init::Ones : check::Init::Zeros, 0, 0});
      loaded_.vars.tensors[made.name + "/" + names[k]] = vector_tensor(c.floats);
    }
    produce(n, Value{index, x.shape});
  }

  void pool(const onnx::NodeProto& n, const std::string& name) {
    const bool max = n.op_type() == "MaxPool";
    only_attributes(n, max ? std::set<std::string>{"kernel_shape", "strides", "pads", "auto_pad", "dilations", "ceil_mode", "storage_order"}
                           : std::set<std::string>{"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "count_include_pad"});
    const Attributes a(n, where(n));
    if (a.integer("ceil_mode", 0) != 0) throw ImportError(where(n) + " has ceil_mode = 1; tl rounds window counts down", "export with ceil_mode = False");
    if (a.integer("storage_order", 0) != 0) throw ImportError(where(n) + " has storage_order = 1");
    const Value& x = image(n);
    const Window win = window(n, a, std::nullopt);
    if (!max && a.integer("count_include_pad", 0) != 0 && win.padding != ir::Padding::Valid)
      throw ImportError(where(n) + " counts padded cells in its averages (count_include_pad = 1); tl averages the cells inside the image",
                        "export with count_include_pad = False");
    const auto [oh, ow] = checked_slide(n, win, x.shape[1], x.shape[2]);
    Layer l;
    l.kind = max ? LayerKind::MaxPool2D : LayerKind::AvgPool2D;
    set_window(l, win);
    l.shape = {oh, ow, x.shape[0]};
    produce(n, Value{add(l, {x.layer}, name), {x.shape[0], oh, ow}});
  }

  void global_pool(const onnx::NodeProto& n, const std::string& name) {
    only_attributes(n, {});
    const Value& x = image(n);
    Layer l;
    l.kind = n.op_type() == "GlobalAveragePool" ? LayerKind::GlobalAvgPool2D : LayerKind::GlobalMaxPool2D;
    l.shape = {x.shape[0]};
    Value v{add(l, {x.layer}, name), {x.shape[0], 1, 1}};
    v.spatial_one = true;
    produce(n, v);
  }

  void flatten(const onnx::NodeProto& n, const std::string& name) {
    const Value& x = value(n.input_size() > 0 ? n.input(0) : "", where(n));
    if (n.op_type() == "Flatten") {
      only_attributes(n, {"axis"});
      if (Attributes(n, where(n)).integer("axis", 1) != 1)
        throw ImportError(where(n) + " flattens from an axis other than 1; tl keeps the batch axis apart");
    } else {
      only_attributes(n, {"allowzero"});
      const Constant* shape = constant(n, 1);
      if (!shape || shape->is_float || shape->ints.size() != 2)
        throw ImportError(where(n) + " reshapes to other than (batch, features)", "tl imports Reshape only as a flatten");
      const std::int64_t features = std::accumulate(x.shape.begin(), x.shape.end(), std::int64_t{1}, std::multiplies<>());
      const std::int64_t first = shape->ints[0], second = shape->ints[1];
      if (!(first == 0 || first == -1 || first >= 1) || !(second == -1 || second == features) || (first == -1 && second == -1))
        throw ImportError(where(n) + " reshapes to other than (batch, features)", "tl imports Reshape only as a flatten");
    }
    if (x.flattened) throw ImportError(where(n) + " flattens a flattened tensor again");
    const std::int64_t features = std::accumulate(x.shape.begin(), x.shape.end(), std::int64_t{1}, std::multiplies<>());
    if (x.shape.size() == 1 || x.spatial_one) {  // already flat in tl
      single_output(n);
      values_[n.output(0)] = Value{x.layer, {features}};
      return;
    }
    Layer l;
    l.kind = LayerKind::Flatten;
    l.shape = {features};
    Value v{add(l, {x.layer}, name), {features}};
    if (x.shape.size() == 3 && x.shape[0] > 1 && x.shape[1] * x.shape[2] > 1) v.flattened = std::array<std::int64_t, 3>{x.shape[0], x.shape[1], x.shape[2]};
    produce(n, v);
  }

  void dense(const onnx::NodeProto& n, const std::string& name) {
    const bool gemm = n.op_type() == "Gemm";
    only_attributes(n, gemm ? std::set<std::string>{"alpha", "beta", "transA", "transB"} : std::set<std::string>{});
    const Attributes a(n, where(n));
    if (gemm && a.integer("transA", 0) != 0)
      throw ImportError(where(n) + " has transA = 1; tl's dense layer reads a batch of rows (transA = 0)");
    const Value& x = input_value(n, 0);
    if (x.shape.size() != 1 && !x.spatial_one) throw ImportError(where(n) + " needs a flat input (N,F), but its input is " + shape_text(x.shape));
    const Constant& w = weight(n, 1, "weight");
    const Constant* bias = gemm ? constant(n, 2) : nullptr;
    if (gemm && n.input_size() > 2 && !n.input(2).empty() && !bias) throw ImportError(where(n) + ": its C (bias) is not a constant");
    dense_from(n, name, x, w, bias, /*rows_are_inputs=*/!(gemm && a.integer("transB", 0) != 0), x.flattened,
               gemm ? a.real("alpha", 1) : 1.0f, gemm ? a.real("beta", 1) : 1.0f);
  }

  /// A dense layer from weight `w`: (in, out) when `rows_are_inputs`, else
  /// (out, in) (Gemm's transB, a 1x1 Conv's (O, I, 1, 1)). `flattened`: the
  /// input is a Flatten of that (C,H,W) image, so row (c,h,w) moves to (h,w,c).
  void dense_from(const onnx::NodeProto& n, const std::string& name, const Value& x, const Constant& w, const Constant* bias,
                  bool rows_are_inputs, std::optional<std::array<std::int64_t, 3>> flattened, float alpha = 1,
                  float beta = 1) {
    const std::int64_t in = x.shape[0];  // (F), or C of (C,1,1)
    const bool conv = w.dims.size() == 4;
    if (!(w.dims.size() == 2 || (conv && w.dims[2] == 1 && w.dims[3] == 1)))
      throw ImportError(where(n) + ": its weight is not a matrix");
    const std::int64_t rows = w.dims[0], cols = w.dims[1];
    const std::int64_t out = rows_are_inputs ? cols : rows;
    if ((rows_are_inputs ? rows : cols) != in)
      throw ImportError(where(n) + fmt::format(": its weight {}x{} does not take the {} inputs", rows, cols, in));
    // C broadcasts over the batch: a vector of `out`, (1, out), or one value.
    const bool vector = bias && bias->count() == out && (bias->dims.size() == 1 || bias->dims == std::vector<std::int64_t>{1, out});
    const bool scalar = bias && bias->count() == 1 && bias->dims.size() <= 2;
    if (bias && (!bias->is_float || !(vector || scalar)))
      throw ImportError(where(n) + ": its C (bias) is not a float vector of " + std::to_string(out) + " or a single value",
                        "a bias that differs per row of the batch is not a layer's parameter");
    Layer l;
    l.kind = LayerKind::Dense;
    l.units = static_cast<int>(out);
    l.use_bias = bias != nullptr;
    l.shape = {out};
    l.params.push_back({"kernel", {in, out}, true, check::Init::GlorotUniform, in, out});
    if (bias) l.params.push_back({"bias", {out}, true, check::Init::Zeros, 0, 0});
    Tensor kernel = tensor({in, out});
    for (std::int64_t r = 0; r < in; ++r) {
      std::int64_t tl_row = r;
      if (flattened) {  // ONNX row (c,h,w) -> tl row (h,w,c)
        const auto [C, H, W] = *flattened;
        const std::int64_t c = r / (H * W), h = r / W % H, v = r % W;
        tl_row = (h * W + v) * C + c;
      }
      for (std::int64_t o = 0; o < out; ++o)
        kernel.data()[tl_row * out + o] = alpha * w.floats[static_cast<std::size_t>(rows_are_inputs ? r * out + o : o * in + r)];
    }
    const int index = add(l, {x.layer}, name);
    const std::string& made = loaded_.spec.layers[static_cast<std::size_t>(index)].name;
    loaded_.vars.tensors[made + "/kernel"] = std::move(kernel);
    if (bias) {
      std::vector<float> b(static_cast<std::size_t>(out));
      for (std::size_t o = 0; o < b.size(); ++o) b[o] = beta * bias->floats[bias->floats.size() == 1 ? 0 : o];
      loaded_.vars.tensors[made + "/bias"] = vector_tensor(b);
    }
    // A 1x1 conv of a (C,1,1) value gives a (O,1,1) one.
    Value v{index, x.spatial_one ? std::vector<std::int64_t>{out, 1, 1} : std::vector<std::int64_t>{out}};
    v.spatial_one = x.spatial_one;
    produce(n, v);
  }

  void merge(const onnx::NodeProto& n, const std::string& name) {
    only_attributes(n, {});
    if (n.input_size() != 2) throw ImportError(where(n) + " must have two inputs");
    const Value& a = input_value(n, 0);
    const Value& b = input_value(n, 1);
    const bool add_op = n.op_type() == "Add";
    Layer l;
    l.kind = add_op ? LayerKind::Add : LayerKind::Multiply;
    const bool same = a.shape == b.shape && a.spatial_one == b.spatial_one;
    const bool scales = !add_op && ((a.spatial_one && b.shape.size() == 3 && !b.spatial_one && a.shape[0] == b.shape[0]) ||
                                    (b.spatial_one && a.shape.size() == 3 && !a.spatial_one && b.shape[0] == a.shape[0]));
    if (!same && !scales)
      throw ImportError(where(n) + " combines " + shape_text(a.shape) + " and " + shape_text(b.shape) +
                        "; tl imports equal shapes" + (add_op ? "" : ", or (C,H,W) times (C,1,1)"));
    const Value& big = scales && a.spatial_one ? b : a;
    l.shape = loaded_.spec.layers[static_cast<std::size_t>(big.layer)].shape;
    produce(n, Value{add(l, {a.layer, b.layer}, name), big.shape, big.spatial_one});
  }

  void dropout(const onnx::NodeProto& n, const std::string& name) {
    only_attributes(n, {"ratio", "seed", "is_test"});
    const Attributes a(n, where(n));
    float ratio = a.real("ratio", 0.5f);
    if (const Constant* r = constant(n, 1)) {
      if (!r->is_float || r->floats.size() != 1) throw ImportError(where(n) + ": its ratio is not a float scalar");
      ratio = r->floats[0];
    }
    if (!(ratio >= 0 && ratio < 1)) throw ImportError(where(n) + ": its ratio must be in [0, 1)");
    const Value& x = input_value(n, 0);
    Layer l;
    l.kind = LayerKind::Dropout;
    l.rate = ratio;
    l.shape = loaded_.spec.layers[static_cast<std::size_t>(x.layer)].shape;
    produce(n, Value{add(l, {x.layer}, name), x.shape, x.spatial_one});
  }

  void activation(const onnx::NodeProto& n, const std::string& name) {
    const std::string& op = n.op_type();
    const Attributes a(n, where(n));
    Layer l;
    l.kind = LayerKind::Activation;
    const Value& x = input_value(n, 0);
    if (op == "Relu") {
      only_attributes(n, {});
      l.activation = ir::Activation::Relu;
    } else if (op == "Sigmoid" || op == "Tanh" || op == "HardSwish") {
      only_attributes(n, {});
      l.activation = op == "Sigmoid" ? ir::Activation::Sigmoid : op == "Tanh" ? ir::Activation::Tanh : ir::Activation::HardSwish;
    } else if (op == "LeakyRelu") {
      only_attributes(n, {"alpha"});
      l.activation = ir::Activation::LeakyRelu;
      l.activation_params = {a.real("alpha", 0.01f)};
      if (!(l.activation_params[0] >= 0)) throw ImportError(where(n) + ": tl's leaky_relu takes alpha >= 0");
    } else if (op == "HardSigmoid") {
      only_attributes(n, {"alpha", "beta"});
      l.activation = ir::Activation::HardSigmoid;
      l.activation_params = {a.real("alpha", 0.2f), a.real("beta", 0.5f)};
    } else if (op == "Softmax") {
      only_attributes(n, {"axis"});
      // tl's softmax runs over its last axis: ONNX's channels (axis 1) for an
      // image, the last axis otherwise. Before opset 13 the axis splits the
      // tensor into 2-D (everything from it on), which is the same only
      // when it is the last axis.
      const auto rank = static_cast<std::int64_t>(x.shape.size()) + 1;
      std::int64_t axis = a.integer("axis", opset_ >= 13 ? -1 : 1);
      if (axis < 0) axis += rank;
      const bool image = rank == 4 && !x.spatial_one;
      const std::int64_t last = x.spatial_one ? 1 : rank - 1;
      if (!(image ? axis == 1 && opset_ >= 13 : axis == last))
        throw ImportError(where(n) + " runs over axis " + std::to_string(a.integer("axis", opset_ >= 13 ? -1 : 1)) +
                              "; tl's softmax runs over the features (the last axis, an image's channels)");
      l.activation = ir::Activation::Softmax;
    } else {  // Clip
      only_attributes(n, {"min", "max"});
      const float lowest = std::numeric_limits<float>::lowest(), highest = std::numeric_limits<float>::max();
      float lo = a.real("min", lowest), hi = a.real("max", highest);
      for (int k = 1; k <= 2; ++k) {
        if (n.input_size() <= k || n.input(k).empty()) continue;
        const Constant* c = constant(n, k);
        if (!c || !c->is_float || c->floats.size() != 1) throw ImportError(where(n) + ": its " + (k == 1 ? "min" : "max") + " is not a constant float");
        (k == 1 ? lo : hi) = c->floats[0];
      }
      if (!(lo <= hi)) throw ImportError(where(n) + ": its min is above its max");
      if (lo == 0 && hi == 6) {
        l.activation = ir::Activation::Relu6;
        l.activation_params = ir::activation_info(ir::Activation::Relu6).defaults();
      } else {
        l.activation = ir::Activation::Clip;
        l.activation_params = {lo, hi};
      }
    }
    if (l.activation_params.empty()) l.activation_params = ir::activation_info(l.activation).defaults();
    l.shape = loaded_.spec.layers[static_cast<std::size_t>(x.layer)].shape;
    produce(n, Value{add(l, {x.layer}, name), x.shape, x.spatial_one});
  }

  const onnx::ModelProto& model_;
  std::string path_;
  int opset_ = 0;
  std::map<std::string, Constant> constants_;
  std::map<std::string, Value> values_;
  std::set<std::string> used_, names_;
  io::LoadedModel loaded_;
};

}  // namespace

const std::vector<std::string>& supported_ops() { return ops(); }

io::LoadedModel import_onnx_bytes(const std::string& bytes, const std::string& path) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw data::DataError(path, std::nullopt, "not an ONNX model: the protobuf does not parse",
                          "give a .onnx file, e.g. from torch.onnx.export");
  try {
    return Importer(model, path).run();
  } catch (const ImportError& e) {
    throw data::DataError(path, std::nullopt, e.what(), e.hint());
  }
}

io::LoadedModel import_onnx(const std::string& path) {
  data::require_regular_file(path, "ONNX file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw data::DataError(path, std::nullopt, std::string("cannot open the ONNX file: ") + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return import_onnx_bytes(bytes.str(), path);
}

}  // namespace tl::onnx_import
