// The importer's operators (see importer.hpp): one function per family, each
// checking the attributes it reads, refusing the rest, and adding the layer
// (with its weights in tl's layouts) that computes the node.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

#include "compiler/ir/activation.hpp"
#include "runtime/onnx/importer.hpp"
#include "runtime/onnx/layouts.hpp"

namespace tl::onnx_import::detail {

void Importer::node(const onnx::NodeProto& n, int index) {
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
  if (op == "Concat") return concat(n, name);
  if (op == "Dropout") return dropout(n, name);
  if (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "LeakyRelu" || op == "HardSigmoid" || op == "HardSwish" ||
      op == "Softmax" || op == "Clip")
    return activation(n, name);
  throw ImportError(where(n) + ": tl does not support the operator " + op,
                    "tl imports " + fmt::format("{}", fmt::join(ops(), ", ")) + " (docs/onnx.md)");
}

void Importer::constant_node(const onnx::NodeProto& n) {
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

void Importer::identity(const onnx::NodeProto& n) {
  only_attributes(n, {});
  if (n.input_size() != 1 || n.output_size() != 1) throw ImportError(where(n) + " must have one input and one output");
  if (const Constant* c = constant(n, 0)) {
    constants_[n.output(0)] = *c;
    return;
  }
  values_[n.output(0)] = input_value(n, 0);
}

void Importer::cast(const onnx::NodeProto& n) {
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

void Importer::pad(const onnx::NodeProto& n) {
  only_attributes(n, {"mode", "pads", "value"});
  const Attributes a(n, where(n));
  std::vector<std::int64_t> pads = a.integers("pads", {});
  if (const Constant* c = constant(n, 1)) pads = c->ints;
  float fill = a.real("value", 0.0f);
  if (const Constant* c = constant(n, 2)) {
    if (!c->is_float || c->floats.size() != 1) throw ImportError(where(n) + ": its constant_value is not one float");
    fill = c->floats[0];
  }
  if (n.input_size() > 3 && !n.input(3).empty()) throw ImportError(where(n) + " pads chosen axes; tl imports Pad over every axis");
  if (n.output_size() != 1) throw ImportError(where(n) + " must have one output");
  const bool none = std::all_of(pads.begin(), pads.end(), [](std::int64_t p) { return p == 0; });
  const Value& x = value(n.input_size() > 0 ? n.input(0) : "", where(n));
  if (none) {  // the tensor itself
    values_[n.output(0)] = x;
    return;
  }
  const std::string mode = a.text("mode", "constant");
  // (N,C,H,W) pads: [N, C, H, W begins, N, C, H, W ends].
  const bool spatial = pads.size() == 8 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0 &&
                       std::all_of(pads.begin(), pads.end(), [](std::int64_t p) { return p >= 0 && p <= 4096; });
  if (mode != "constant" || fill != 0.0f || !spatial || x.shape.size() != 3 || x.spatial_one || x.flattened)
    throw ImportError(where(n) + " pads other than an image's rows and columns with zeros; tl imports zero padding of an image "
                                 "as the padding of the convolution or average pool that reads it",
                      "export the padding as the next layer's padding argument");
  Value v = x;
  const std::array<int, 4> more = {static_cast<int>(pads[2]), static_cast<int>(pads[6]), static_cast<int>(pads[3]),
                                   static_cast<int>(pads[7])};
  for (std::size_t k = 0; k < 4; ++k) v.zero_pad[k] += more[k];
  values_[n.output(0)] = v;
}

void Importer::conv(const onnx::NodeProto& n, const std::string& name) {
  only_attributes(n, {"kernel_shape", "strides", "pads", "auto_pad", "dilations", "group"});
  const Attributes a(n, where(n));
  // A Pad's zeros before the conv become its padding (padded_image below).
  const bool padded = n.input_size() > 0 && values_.count(n.input(0)) && values_.at(n.input(0)).padded();
  const Value& x = padded ? padded_image(n) : input_value(n, 0);
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
  const Value& img = padded_image(n);
  const std::int64_t C = img.shape[0];
  Window win = window(n, a, std::array<std::int64_t, 2>{KH, KW});
  take_zero_pad(n, img, win);
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
    onnx_layouts::conv_kernel(w.floats.data(), kernel.data(), O, C, KH, KW, onnx_layouts::Direction::OnnxToTl);
    l.params.push_back({"kernel", kshape, true, check::Init::GlorotUniform, KH * KW * C, KH * KW * O});
  } else if (group == C && per_group == 1 && O % C == 0) {
    // Depthwise: (C*M, 1, KH, KW) -> (KH, KW, C, M); output o = c*M + m in both.
    const std::int64_t M = O / C;
    l.kind = LayerKind::DepthwiseConv2D;
    kshape = {KH, KW, C, M};
    kernel = tensor(kshape);
    onnx_layouts::depthwise_kernel(w.floats.data(), kernel.data(), O, KH, KW, onnx_layouts::Direction::OnnxToTl);
    l.params.push_back({"depthwise_kernel", kshape, true, check::Init::GlorotUniform, KH * KW * C, KH * KW * M});
  } else {
    // Grouped: (O, C/group, KH, KW) -> (KH, KW, C/group, O), as for one group.
    if (group < 1 || C % group != 0 || O % group != 0 || per_group * group != C)
      throw ImportError(where(n) + fmt::format(" has group {} with a weight of {} channels per group on {} channels and {} outputs; "
                                               "the group must divide both and the weight take channels/group",
                                               group, per_group, C, O));
    l.kind = LayerKind::Conv2D;
    l.groups = static_cast<int>(group);
    kshape = {KH, KW, per_group, O};
    kernel = tensor(kshape);
    onnx_layouts::conv_kernel(w.floats.data(), kernel.data(), O, per_group, KH, KW, onnx_layouts::Direction::OnnxToTl);
    l.params.push_back({"kernel", kshape, true, check::Init::GlorotUniform, KH * KW * per_group, KH * KW * O});
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

std::pair<std::int64_t, std::int64_t> Importer::checked_slide(const onnx::NodeProto& n, const Window& w, std::int64_t h,
                                                     std::int64_t wd) const {
  try {
    return slide(w, h, wd);
  } catch (const std::logic_error& e) {
    throw ImportError(where(n) + fmt::format(": its {}x{} window does not fit the {}x{} input", w.kh, w.kw, h, wd));
  }
}

Tensor Importer::vector_tensor(const std::vector<float>& v) {
  Tensor t = tensor({static_cast<std::int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data());
  return t;
}

void Importer::batchnorm(const onnx::NodeProto& n, const std::string& name) {
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

void Importer::pool(const onnx::NodeProto& n, const std::string& name) {
  const bool max = n.op_type() == "MaxPool";
  only_attributes(n, max ? std::set<std::string>{"kernel_shape", "strides", "pads", "auto_pad", "dilations", "ceil_mode", "storage_order"}
                         : std::set<std::string>{"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "count_include_pad"});
  const Attributes a(n, where(n));
  if (a.integer("storage_order", 0) != 0) throw ImportError(where(n) + " has storage_order = 1");
  const Value& x = max ? image(n) : padded_image(n);  // a max pool pads with -inf, not a Pad's zeros
  Window win = window(n, a, std::nullopt);
  if (win.dh != 1 || win.dw != 1)
    throw ImportError(where(n) + fmt::format(" has dilations {}x{}; tl pools over adjacent cells (dilation 1)", win.dh, win.dw));
  bool counts_pad = !max && a.integer("count_include_pad", 0) != 0 && win.padding != ir::Padding::Valid;
  if (x.padded()) {
    // The Pad's zeros are cells of the image to the pool: its own pads must count too.
    if (win.padding != ir::Padding::Valid && !counts_pad)
      throw ImportError(where(n) + " reads a Pad's zeros (which count in its averages) and pads without counting (count_include_pad = 0)",
                        "export with one kind of padding");
    take_zero_pad(n, x, win);
    counts_pad = true;
  }
  const ir::Padding written = win.padding;  // before ceil_mode's extra cells
  if (a.integer("ceil_mode", 0) != 0 && win.padding != ir::Padding::Same) {
    // Window counts rounded up (a last window that starts inside the image or
    // its leading pad, as ONNX and PyTorch count them) are the counts rounded
    // down over extra cells after the image: padded cells count in neither a
    // max nor an average (with count_include_pad = 1 an average counts the
    // written pads but not these cells: refused below), so the result is the
    // same.
    auto extra = [](std::int64_t size, int k, int s, int before, int after) {
      const std::int64_t span = size + before + after - k;
      if (span < 0) return 0;
      std::int64_t windows = (span + s - 1) / s + 1;
      if ((windows - 1) * s >= size + before) --windows;
      return static_cast<int>(std::max<std::int64_t>(0, (windows - 1) * s + k - (size + before + after)));
    };
    const int eh = extra(x.shape[1], win.kh, win.sh, win.pads[0], win.pads[1]);
    const int ew = extra(x.shape[2], win.kw, win.sw, win.pads[2], win.pads[3]);
    if (eh || ew) {
      if (counts_pad)
        throw ImportError(where(n) + " counts padded cells in its averages (count_include_pad = 1) and rounds its window count up "
                                     "(ceil_mode = 1); tl counts the padded cells of windows inside the padded image only",
                          "export with count_include_pad = False or ceil_mode = False");
      win.padding = ir::Padding::Explicit;
      win.pads[1] += eh;
      win.pads[3] += ew;
    }
  }
  const auto [oh, ow] = checked_slide(n, win, x.shape[1], x.shape[2]);
  if (win.padding == ir::Padding::Valid && win.kh == x.shape[1] && win.kw == x.shape[2]) {
    // One window over the whole image (PyTorch's adaptive pools to 1x1): a
    // global pool, whose (C,1,1) output joins and scales like GlobalMaxPool's.
    Layer l;
    l.kind = max ? LayerKind::GlobalMaxPool2D : LayerKind::GlobalAvgPool2D;
    l.shape = {x.shape[0]};
    Value v{add(l, {x.layer}, name), {x.shape[0], 1, 1}};
    v.spatial_one = true;
    return produce(n, v);
  }
  Layer l;
  l.kind = max ? LayerKind::MaxPool2D : LayerKind::AvgPool2D;
  set_window(l, win);
  // Without pads there is nothing to count (and the model reads as before).
  l.count_include_pad = counts_pad;
  l.shape = {oh, ow, x.shape[0]};
  produce(n, Value{add(l, {x.layer}, name), {x.shape[0], oh, ow}});
}

void Importer::global_pool(const onnx::NodeProto& n, const std::string& name) {
  only_attributes(n, {});
  const Value& x = image(n);
  Layer l;
  l.kind = n.op_type() == "GlobalAveragePool" ? LayerKind::GlobalAvgPool2D : LayerKind::GlobalMaxPool2D;
  l.shape = {x.shape[0]};
  Value v{add(l, {x.layer}, name), {x.shape[0], 1, 1}};
  v.spatial_one = true;
  produce(n, v);
}

void Importer::flatten(const onnx::NodeProto& n, const std::string& name) {
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

void Importer::dense(const onnx::NodeProto& n, const std::string& name) {
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

void Importer::dense_from(const onnx::NodeProto& n, const std::string& name, const Value& x, const Constant& w, const Constant* bias,
                bool rows_are_inputs, std::optional<std::array<std::int64_t, 3>> flattened, float alpha,
                float beta) {
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

void Importer::merge(const onnx::NodeProto& n, const std::string& name) {
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

void Importer::concat(const onnx::NodeProto& n, const std::string& name) {
  only_attributes(n, {"axis"});
  if (n.input_size() < 1) throw ImportError(where(n) + " has no inputs");
  const Value& first = input_value(n, 0);
  const auto rank = static_cast<std::int64_t>(first.shape.size()) + 1;  // with the batch
  std::int64_t axis = Attributes(n, where(n)).integer("axis", 1);
  if (axis < 0) axis += rank;
  if (axis != 1)
    throw ImportError(where(n) + " joins along axis " + std::to_string(Attributes(n, where(n)).integer("axis", 1)) +
                          "; tl joins along the channels (axis 1)");
  std::vector<int> layers;
  std::vector<std::int64_t> shape = first.shape;
  shape[0] = 0;
  for (int i = 0; i < n.input_size(); ++i) {
    const Value& v = input_value(n, i);
    const bool fits = v.shape.size() == first.shape.size() && v.spatial_one == first.spatial_one &&
                      std::equal(v.shape.begin() + 1, v.shape.end(), first.shape.begin() + 1);
    if (!fits)
      throw ImportError(where(n) + " joins " + shape_text(first.shape) + " and " + shape_text(v.shape) +
                        "; tl joins tensors whose other sizes agree");
    if (v.flattened)
      throw ImportError(where(n) + " joins a flattened image; tl orders flattened features (h,w,c), ONNX (c,h,w)",
                        "join the images before flattening them");
    shape[0] += v.shape[0];
    layers.push_back(v.layer);
  }
  if (layers.size() == 1) {  // a copy
    single_output(n);
    values_[n.output(0)] = first;
    return;
  }
  Layer l;
  l.kind = LayerKind::Concat;
  l.shape = loaded_.spec.layers[static_cast<std::size_t>(first.layer)].shape;
  l.shape.back() = shape[0];
  Value v{add(l, layers, name), shape};
  v.spatial_one = first.spatial_one;
  produce(n, v);
}

void Importer::dropout(const onnx::NodeProto& n, const std::string& name) {
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

void Importer::activation(const onnx::NodeProto& n, const std::string& name) {
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

}  // namespace tl::onnx_import::detail
