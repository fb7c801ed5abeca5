// tl model -> ONNX graph (see onnx_export.hpp). One tl layer at a time, in
// the model's order: `values_` maps each layer to the ONNX tensor holding its
// output, NCHW for images. Weights go from tl's layouts back to ONNX's:
// kernels HWIO -> OIHW, depthwise (K,K,C,M) -> (C*M,1,K,K), dense (in, out)
// as Gemm's B. A flatten of an image first transposes it to NHWC, so its
// elements come in tl's (h,w,c) order and dense kernels stay as they are.
#include "runtime/onnx/onnx_export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "compiler/ir/activation.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/pixel_map_json.hpp"
#include "runtime/onnx/layouts.hpp"

namespace tl::onnx_export {

namespace {

using check::Layer;
using check::LayerKind;

class Writer {
 public:
  Writer(const check::ModelSpec& model, const exec::Variables& vars) : model_(model), vars_(vars) {}

  onnx::ModelProto run(const std::optional<data::PixelMap>& pixels) {
    m_.set_ir_version(8);
    m_.set_producer_name("tl");
    m_.set_producer_version("0.1.0");
    auto* opset = m_.add_opset_import();
    opset->set_domain("");
    opset->set_version(export_opset);
    if (pixels) {
      auto* p = m_.add_metadata_props();
      p->set_key("tl.pixels");
      p->set_value(data::pixel_map_json(*pixels).dump());
    }
    g_ = m_.mutable_graph();
    g_->set_name(model_.name.empty() ? "tl" : model_.name);
    for (std::size_t i = 0; i < model_.layers.size(); ++i) values_.push_back(layer(model_.layers[i]));
    const Layer& out = model_.layers[static_cast<std::size_t>(model_.output)];
    node("Identity", {values_[static_cast<std::size_t>(model_.output)]}, "output", "output");
    declare(g_->add_output(), "output", out.shape);
    return std::move(m_);
  }

 private:
  // --- graph pieces -------------------------------------------------------------

  /// (H,W,C) -> (N,C,H,W); other shapes get the batch in front.
  static void declare(onnx::ValueInfoProto* v, const std::string& name, const ir::Shape& shape) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    s->add_dim()->set_dim_param("batch");
    const ir::Shape dims = shape.size() == 3 ? ir::Shape{shape[2], shape[0], shape[1]} : shape;
    for (const std::int64_t d : dims) s->add_dim()->set_dim_value(d);
  }

  std::string constant(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& values) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (const std::int64_t d : dims) t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
    return name;
  }

  std::string integers(const std::string& name, const std::vector<std::int64_t>& values) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (const std::int64_t v : values) t->add_int64_data(v);
    return name;
  }

  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& inputs, const std::string& output,
                        const std::string& name) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& in : inputs) n->add_input(in);
    n->add_output(output);
    return n;
  }

  /// A node whose output is a fresh tensor named after it.
  std::string apply(const std::string& op, const std::vector<std::string>& inputs, const std::string& name,
                    onnx::NodeProto** made = nullptr) {
    const std::string out = name + ":0";
    onnx::NodeProto* n = node(op, inputs, out, name);
    if (made) *made = n;
    return out;
  }

  static void ints(onnx::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& values) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (const std::int64_t v : values) a->add_ints(v);
  }
  static void integer(onnx::NodeProto* n, const std::string& name, std::int64_t value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void real(onnx::NodeProto* n, const std::string& name, double value) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(static_cast<float>(value));
  }

  const Tensor& weight(const Layer& l, const std::string& param) const {
    auto it = vars_.tensors.find(l.name + "/" + param);
    if (it == vars_.tensors.end()) throw std::invalid_argument("the model has no tensor " + l.name + "/" + param);
    return it->second;
  }

  std::vector<float> values(const Tensor& t) const { return std::vector<float>(t.data(), t.data() + t.size()); }

  const std::string& in(const Layer& l, std::size_t k = 0) const { return values_[static_cast<std::size_t>(l.inputs.at(k))]; }
  const Layer& input_layer(const Layer& l, std::size_t k = 0) const { return model_.layers[static_cast<std::size_t>(l.inputs.at(k))]; }

  /// ONNX pads [top, left, bottom, right] of a tl window layer (of kh x kw
  /// taps, spread by the layer's dilation).
  std::vector<std::int64_t> pads(const Layer& l, const ir::Shape& input, std::int64_t kh, std::int64_t kw) const {
    ir::Attrs a;
    a.stride_h = l.stride_h, a.stride_w = l.stride_w, a.padding = l.padding;
    a.pad_top = l.pads[0], a.pad_bottom = l.pads[1], a.pad_left = l.pads[2], a.pad_right = l.pads[3];
    a.dilation_h = l.dilation_h, a.dilation_w = l.dilation_w;
    const ir::WindowAxis h = ir::window_rows(a, input[0], kh), w = ir::window_cols(a, input[1], kw);
    const std::int64_t span_h = ir::dilated_span(kh, l.dilation_h), span_w = ir::dilated_span(kw, l.dilation_w);
    // The cells after: whatever the last window reaches past the input (none under valid).
    const std::int64_t after_h = std::max<std::int64_t>(0, (h.out - 1) * l.stride_h + span_h - input[0] - h.pad_before);
    const std::int64_t after_w = std::max<std::int64_t>(0, (w.out - 1) * l.stride_w + span_w - input[1] - w.pad_before);
    return {h.pad_before, w.pad_before, after_h, after_w};
  }

  // --- layers ---------------------------------------------------------------------

  std::string layer(const Layer& l) {
    switch (l.kind) {
      case LayerKind::Input: {
        declare(g_->add_input(), "input", l.shape);
        return "input";
      }
      case LayerKind::Conv2D:
      case LayerKind::DepthwiseConv2D: return activation(l, conv(l));
      case LayerKind::Dense: {
        std::vector<std::string> inputs = {in(l), constant(l.name + "/kernel", {input_layer(l).shape[0], l.units},
                                                           values(weight(l, "kernel")))};
        if (l.use_bias) inputs.push_back(constant(l.name + "/bias", {l.units}, values(weight(l, "bias"))));
        return activation(l, apply("Gemm", inputs, l.name));
      }
      case LayerKind::MaxPool2D:
      case LayerKind::AvgPool2D: {
        onnx::NodeProto* n = nullptr;
        const std::string out = apply(l.kind == LayerKind::MaxPool2D ? "MaxPool" : "AveragePool", {in(l)}, l.name, &n);
        ints(n, "kernel_shape", {l.window_h, l.window_w});
        ints(n, "strides", {l.stride_h, l.stride_w});
        ints(n, "pads", pads(l, input_layer(l).shape, l.window_h, l.window_w));
        if (l.count_include_pad) integer(n, "count_include_pad", 1);
        return out;
      }
      case LayerKind::GlobalMaxPool2D:
      case LayerKind::GlobalAvgPool2D: {
        const std::string pooled =
            apply(l.kind == LayerKind::GlobalMaxPool2D ? "GlobalMaxPool" : "GlobalAveragePool", {in(l)}, l.name + "/pool");
        return apply("Flatten", {pooled}, l.name);  // (N,C,1,1) -> tl's (N,C)
      }
      case LayerKind::Flatten: {
        std::string x = in(l);
        if (input_layer(l).shape.size() == 3) {  // tl flattens (h,w,c)
          onnx::NodeProto* t = nullptr;
          x = apply("Transpose", {x}, l.name + "/nhwc", &t);
          ints(t, "perm", {0, 2, 3, 1});
        }
        return apply("Flatten", {x}, l.name);
      }
      case LayerKind::Dropout: return in(l);  // the identity at inference
      case LayerKind::BatchNorm: {
        const std::int64_t c = l.shape.back();
        std::vector<std::string> inputs = {in(l)};
        for (const char* p : {"gamma", "beta", "moving_mean", "moving_variance"})
          inputs.push_back(constant(l.name + "/" + p, {c}, values(weight(l, p))));
        onnx::NodeProto* n = nullptr;
        const std::string out = apply("BatchNormalization", inputs, l.name, &n);
        real(n, "epsilon", l.epsilon);
        real(n, "momentum", l.momentum);
        return out;
      }
      case LayerKind::Activation: return activation(l, in(l));
      case LayerKind::Add: {
        std::string sum = in(l, 0);
        for (std::size_t k = 1; k < l.inputs.size(); ++k)
          sum = apply("Add", {sum, in(l, k)}, k + 1 == l.inputs.size() ? l.name : l.name + "/" + std::to_string(k));
        return sum;
      }
      case LayerKind::Concat: {
        std::vector<std::string> parts;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) parts.push_back(in(l, k));
        onnx::NodeProto* n = nullptr;
        const std::string out = apply("Concat", parts, l.name, &n);
        integer(n, "axis", 1);  // the channels of (N,C,H,W), the features of (N,F)
        return out;
      }
      case LayerKind::Multiply: {
        // Inputs of the layer's shape multiply in order; a (C) one is
        // unsqueezed to (N,C,1,1) and broadcast over the image.
        std::optional<std::string> product;
        std::vector<std::string> scales;
        for (std::size_t k = 0; k < l.inputs.size(); ++k) {
          if (input_layer(l, k).shape != l.shape) {
            scales.push_back(apply("Unsqueeze", {in(l, k), integers(l.name + "/axes" + std::to_string(k), {2, 3})},
                                   l.name + "/unsqueeze" + std::to_string(k)));
            continue;
          }
          product = product ? apply("Mul", {*product, in(l, k)}, l.name + "/" + std::to_string(k)) : in(l, k);
        }
        for (const std::string& s : scales) product = apply("Mul", {*product, s}, l.name + "/scale" + std::to_string(counter_++));
        return apply("Identity", {*product}, l.name);
      }
    }
    throw std::logic_error("export: unknown layer kind");
  }

  std::string conv(const Layer& l) {
    const Tensor& k = weight(l, l.kind == LayerKind::Conv2D ? "kernel" : "depthwise_kernel");
    const std::int64_t KH = l.window_h, KW = l.window_w;
    const ir::Shape& x = input_layer(l).shape;
    const std::int64_t C = x[2], O = l.units, per_group = C / l.groups;
    std::vector<float> w(static_cast<std::size_t>(KH * KW * (l.kind == LayerKind::Conv2D ? per_group * O : O)));
    std::vector<std::int64_t> dims;
    if (l.kind == LayerKind::Conv2D) {
      dims = {O, per_group, KH, KW};
      onnx_layouts::conv_kernel(k.data(), w.data(), O, per_group, KH, KW, onnx_layouts::Direction::TlToOnnx);
    } else {
      dims = {O, 1, KH, KW};
      onnx_layouts::depthwise_kernel(k.data(), w.data(), O, KH, KW, onnx_layouts::Direction::TlToOnnx);
    }
    std::vector<std::string> inputs = {in(l), constant(l.name + "/weight", dims, w)};
    if (l.use_bias) inputs.push_back(constant(l.name + "/bias", {O}, values(weight(l, "bias"))));
    onnx::NodeProto* n = nullptr;
    const std::string out = apply("Conv", inputs, l.name, &n);
    ints(n, "kernel_shape", {KH, KW});
    ints(n, "strides", {l.stride_h, l.stride_w});
    ints(n, "pads", pads(l, x, KH, KW));
    if (l.dilation_h != 1 || l.dilation_w != 1) ints(n, "dilations", {l.dilation_h, l.dilation_w});
    if (l.kind == LayerKind::DepthwiseConv2D) integer(n, "group", C);
    if (l.groups != 1) integer(n, "group", l.groups);
    return out;
  }

  /// The layer's activation on `x` (its pre-activation value).
  std::string activation(const Layer& l, const std::string& x) {
    const std::string name = l.kind == LayerKind::Activation ? l.name : l.name + "/" + ir::to_string(l.activation);
    const auto scalar = [&](const std::string& what, double v) {
      return constant(name + "/" + what, {}, {static_cast<float>(v)});
    };
    const std::vector<double>& p = l.activation_params;
    onnx::NodeProto* n = nullptr;
    switch (l.activation) {
      case ir::Activation::Linear: return l.kind == LayerKind::Activation ? apply("Identity", {x}, name) : x;
      case ir::Activation::Relu: return apply("Relu", {x}, name);
      case ir::Activation::Sigmoid: return apply("Sigmoid", {x}, name);
      case ir::Activation::Tanh: return apply("Tanh", {x}, name);
      case ir::Activation::HardSwish: return apply("HardSwish", {x}, name);
      case ir::Activation::Softmax: {
        const std::string out = apply("Softmax", {x}, name, &n);
        integer(n, "axis", l.shape.size() == 3 || l.shape.size() == 1 ? 1 : -1);  // channels or features
        return out;
      }
      case ir::Activation::LeakyRelu: {
        const std::string out = apply("LeakyRelu", {x}, name, &n);
        real(n, "alpha", p.at(0));
        return out;
      }
      case ir::Activation::HardSigmoid: {
        const std::string out = apply("HardSigmoid", {x}, name, &n);
        real(n, "alpha", p.at(0));
        real(n, "beta", p.at(1));
        return out;
      }
      case ir::Activation::Relu6:
      case ir::Activation::Clip: return apply("Clip", {x, scalar("min", p.at(0)), scalar("max", p.at(1))}, name);
      case ir::Activation::Swish: return apply("Mul", {x, apply("Sigmoid", {x}, name + "/sigmoid")}, name);
      case ir::Activation::Gelu: {  // x * 0.5 * (1 + erf(x / sqrt 2))
        const std::string erf = apply("Erf", {apply("Mul", {x, scalar("inv_sqrt2", ir::gelu_sqrt_half)}, name + "/scaled")},
                                      name + "/erf");
        const std::string cdf = apply("Mul", {apply("Add", {erf, scalar("one", 1.0)}, name + "/plus_one"), scalar("half", 0.5)},
                                      name + "/cdf");
        return apply("Mul", {x, cdf}, name);
      }
    }
    throw std::logic_error("export: unknown activation");
  }

  const check::ModelSpec& model_;
  const exec::Variables& vars_;
  onnx::ModelProto m_;
  onnx::GraphProto* g_ = nullptr;
  std::vector<std::string> values_;
  int counter_ = 0;
};

}  // namespace

std::string export_onnx_bytes(const check::ModelSpec& model, const exec::Variables& vars,
                              const std::optional<data::PixelMap>& pixels) {
  onnx::ModelProto m = Writer(model, vars).run(pixels);
  onnx::checker::check_model(m);  // the ONNX project's own checker; throws if we wrote something invalid
  return m.SerializeAsString();
}

void export_onnx(const std::string& path, const check::ModelSpec& model, const exec::Variables& vars,
                 const std::optional<data::PixelMap>& pixels) {
  const std::string bytes = export_onnx_bytes(model, vars, pixels);
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw data::DataError(path, std::nullopt, std::string("cannot write the ONNX file: ") + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) throw data::DataError(path, std::nullopt, "cannot write the ONNX file: " + ec.message());
}

}  // namespace tl::onnx_export
