// The importer's frame (see importer.hpp): the opset, the graph's input, value
// and constant lookup, layer names, windows; and the entry points.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/data/data_error.hpp"
#include "runtime/data/regular_file.hpp"
#include "runtime/onnx/importer.hpp"
#include "runtime/onnx/onnx_import.hpp"

namespace tl::onnx_import {

namespace detail {

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
      "Add",        "AveragePool",       "BatchNormalization", "Cast",    "Clip",      "Concat",    "Constant", "Conv",     "Dropout",
      "Flatten",    "Gemm",              "GlobalAveragePool",  "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity",
      "LeakyRelu",  "MatMul",            "MaxPool",            "Mul",     "Pad",       "Relu",      "Reshape",  "Sigmoid",
      "Softmax",    "Tanh"};
  return list;
}

std::string Importer::shape_text(const std::array<std::int64_t, 3>& s) { return fmt::format("{}x{}x{}", s[0], s[1], s[2]); }
std::string Importer::shape_text(const std::vector<std::int64_t>& s) { return fmt::format("({})", fmt::join(s, ",")); }

io::LoadedModel Importer::run() {
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
  if (out.padded())
    throw ImportError("the graph's output is an image padded by a Pad node; tl imports such padding only as the padding of "
                      "the convolution or average pool that reads it");
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

int Importer::opset() const {
  std::optional<int> found;
  for (const auto& o : model_.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") found = static_cast<int>(o.version());
  if (!found) throw ImportError("the model imports no opset of the default ONNX domain");
  if (*found < min_opset || *found > max_opset)
    throw ImportError(fmt::format("the model uses opset {}; tl reads opsets {} to {}", *found, min_opset, max_opset),
                      fmt::format("export it again with opset_version between {} and {}", min_opset, max_opset));
  return *found;
}

void Importer::input(const onnx::GraphProto& g) {
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

const Value& Importer::value(const std::string& name, const std::string& what) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    if (constants_.count(name))
      throw ImportError(what + " is the constant '" + name + "'; tl imports operators on constants only as weights");
    throw ImportError(what + " reads '" + name + "', which no earlier node produces");
  }
  return it->second;
}

const Value& Importer::input_value(const onnx::NodeProto& n, int i) const {
  if (n.input_size() <= i || n.input(i).empty()) throw ImportError(where(n) + " lacks its input " + std::to_string(i));
  const Value& v = value(n.input(i), where(n));
  if (v.padded())
    throw ImportError(where(n) + " reads '" + n.input(i) + "', an image padded by a Pad node; tl imports such padding only as "
                                 "the padding of the convolution or average pool that reads it");
  if (v.flattened && n.op_type() != "Gemm" && n.op_type() != "MatMul")
    throw ImportError(where(n) + " reads a Flatten of a " + shape_text(*v.flattened) +
                          " image, whose element order differs between ONNX (c,h,w) and tl (h,w,c)",
                      "tl imports such a Flatten only when a Gemm or MatMul reads it");
  return v;
}

const Constant* Importer::constant(const onnx::NodeProto& n, int i) const {
  if (n.input_size() <= i || n.input(i).empty()) return nullptr;
  auto it = constants_.find(n.input(i));
  return it == constants_.end() ? nullptr : &it->second;
}

const Constant& Importer::weight(const onnx::NodeProto& n, int i, const std::string& what) const {
  const Constant* c = constant(n, i);
  if (!c) throw ImportError(where(n) + ": its " + what + " (input " + std::to_string(i) + ") is not a constant",
                            "tl imports weights stored in the file (initializers)");
  if (!c->is_float) throw ImportError(where(n) + ": its " + what + " is not a float tensor");
  return *c;
}

void Importer::only_attributes(const onnx::NodeProto& n, const std::set<std::string>& known) const {
  for (const auto& a : n.attribute())
    if (!known.count(a.name()))
      throw ImportError(where(n) + " has the attribute '" + a.name() + "', which tl does not support for " + n.op_type(),
                        "docs/onnx.md lists the attributes tl reads");
}

void Importer::single_output(const onnx::NodeProto& n) const {
  for (int i = 1; i < n.output_size(); ++i)
    if (!n.output(i).empty() && used_.count(n.output(i)))
      throw ImportError(where(n) + ": its output " + std::to_string(i) + " ('" + n.output(i) + "') is used; tl computes only the first");
}

std::string Importer::unique_name(const std::string& raw) {
  const std::string base = identifier(raw);
  std::string name = base;
  for (int k = 1; names_.count(name); ++k) name = base + "_" + std::to_string(k);
  names_.insert(name);
  return name;
}

int Importer::add(Layer l, std::vector<int> inputs, const std::string& raw_name) {
  l.name = unique_name(raw_name);
  l.inputs = std::move(inputs);
  if (!check::within_size_limit(l.shape)) throw ImportError("layer '" + l.name + "' outputs more values than tl's limit");
  loaded_.spec.layers.push_back(std::move(l));
  return static_cast<int>(loaded_.spec.layers.size()) - 1;
}

Tensor Importer::tensor(const ir::Shape& shape) {
  return Tensor(std::vector<std::size_t>(shape.begin(), shape.end()));
}

void Importer::produce(const onnx::NodeProto& n, Value v) {
  if (n.output_size() < 1 || n.output(0).empty()) throw ImportError(where(n) + " has no output");
  single_output(n);
  values_[n.output(0)] = std::move(v);
}

std::string Importer::layer_name(const onnx::NodeProto& n, int index) const {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
}

Importer::Window Importer::window(const onnx::NodeProto& n, const Attributes& a, std::optional<std::array<std::int64_t, 2>> kernel) const {
  Window w;
  const auto k = a.integers("kernel_shape", kernel ? std::vector<std::int64_t>{(*kernel)[0], (*kernel)[1]}
                                                   : std::vector<std::int64_t>{});
  if (k.size() != 2) throw ImportError(where(n) + " needs a 2-D kernel_shape; tl imports 2-D windows only");
  if (kernel && (k[0] != (*kernel)[0] || k[1] != (*kernel)[1]))
    throw ImportError(where(n) + ": kernel_shape disagrees with the weight's");
  const auto s = a.integers("strides", {1, 1});
  const auto d = a.integers("dilations", {1, 1});
  if (s.size() != 2 || d.size() != 2) throw ImportError(where(n) + ": strides and dilations need two values");
  for (const std::int64_t v : {k[0], k[1], s[0], s[1], d[0], d[1]})
    if (v < 1 || v > 4096) throw ImportError(where(n) + ": kernel, strides and dilations must be between 1 and 4096");
  w.kh = static_cast<int>(k[0]), w.kw = static_cast<int>(k[1]), w.sh = static_cast<int>(s[0]), w.sw = static_cast<int>(s[1]);
  w.dh = static_cast<int>(d[0]), w.dw = static_cast<int>(d[1]);
  const std::int64_t span_h = ir::dilated_span(k[0], d[0]), span_w = ir::dilated_span(k[1], d[1]);
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
  if (p[0] < 0 || p[1] < 0 || p[2] < 0 || p[3] < 0 || p[0] >= span_h || p[2] >= span_h || p[1] >= span_w || p[3] >= span_w)
    throw ImportError(where(n) + fmt::format(" pads [{}] the {}x{} window with as many cells as its side or more", fmt::join(p, ", "), span_h, span_w),
                      "tl pads each side with fewer cells than the window");
  if (p[0] || p[1] || p[2] || p[3]) w.padding = ir::Padding::Explicit;
  return w;
}

std::pair<std::int64_t, std::int64_t> Importer::slide(const Window& w, std::int64_t h, std::int64_t wd) {
  ir::Attrs a;
  a.stride_h = w.sh, a.stride_w = w.sw, a.padding = w.padding;
  a.pad_top = w.pads[0], a.pad_bottom = w.pads[1], a.pad_left = w.pads[2], a.pad_right = w.pads[3];
  a.dilation_h = w.dh, a.dilation_w = w.dw;
  return {ir::window_rows(a, h, w.kh).out, ir::window_cols(a, wd, w.kw).out};
}

void Importer::set_window(Layer& l, const Window& w) const {
  l.window_h = w.kh, l.window_w = w.kw, l.stride_h = w.sh, l.stride_w = w.sw, l.padding = w.padding, l.pads = w.pads;
  l.dilation_h = w.dh, l.dilation_w = w.dw;
}

const Value& Importer::image(const onnx::NodeProto& n) const {
  const Value& v = input_value(n, 0);
  if (v.shape.size() != 3 || v.spatial_one)
    throw ImportError(where(n) + " needs an image (C,H,W), but its input is " + shape_text(v.shape));
  return v;
}

const Value& Importer::padded_image(const onnx::NodeProto& n) const {
  if (n.input_size() < 1 || n.input(0).empty()) throw ImportError(where(n) + " lacks its input 0");
  const Value& v = value(n.input(0), where(n));
  if (!v.padded()) return image(n);
  return v;  // pad() made sure it is an image
}

void Importer::take_zero_pad(const onnx::NodeProto& n, const Value& x, Window& w) const {
  if (!x.padded()) return;
  if (w.padding == ir::Padding::Same)
    throw ImportError(where(n) + " has auto_pad SAME_UPPER and reads a Pad's output; tl takes one of the two",
                      "export with explicit pads");
  for (std::size_t k = 0; k < 4; ++k) w.pads[k] += x.zero_pad[k];
  const std::int64_t span_h = ir::dilated_span(w.kh, w.dh), span_w = ir::dilated_span(w.kw, w.dw);
  if (w.pads[0] >= span_h || w.pads[1] >= span_h || w.pads[2] >= span_w || w.pads[3] >= span_w)
    throw ImportError(where(n) + fmt::format(" pads (its own and a Pad's) {}, {}, {}, {} around a {}x{} window: as many cells as its "
                                             "side or more", w.pads[0], w.pads[1], w.pads[2], w.pads[3], span_h, span_w),
                      "tl pads each side with fewer cells than the window");
  w.padding = ir::Padding::Explicit;
}

}  // namespace detail

const std::vector<std::string>& supported_ops() { return detail::ops(); }

io::LoadedModel import_onnx_bytes(const std::string& bytes, const std::string& path) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw data::DataError(path, std::nullopt, "not an ONNX model: the protobuf does not parse",
                          "give a .onnx file, e.g. from torch.onnx.export");
  try {
    return detail::Importer(model).run();
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
