// Model instantiation and per-layer shape inference (see models.hpp).
// Shapes here exclude the batch dimension: images are (H, W, C), features (N).
#include "compiler/check/models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "compiler/check/check_error.hpp"
#include "compiler/check/values.hpp"

namespace tl::check {

namespace {

/// The activation of a layer (compiler/ir/activations.def): a word such as
/// `relu`, or for one that takes numbers, a call such as `leaky_relu(0.1)`,
/// `leaky_relu(alpha = 0.1)` or `clip(-1, 1)`; a bare `leaky_relu` takes the
/// defaults. Sets l.activation and l.activation_params.
void read_activation(const ast::Expr& e, const Scope& scope, Layer& l) {
  const ast::Expr& v = resolve(e, &scope);
  std::vector<std::string> names;
  for (const ir::ActivationInfo& a : ir::activations()) names.push_back(std::string(a.spelling));
  const ast::Call* call = as_call(v);
  const std::string word = call && v.stages.empty() ? call->callee.text : choice(v, &scope, "activation", names);
  const std::optional<ir::Activation> kind = ir::activation_named(word);
  if (!kind) choice(v, &scope, "activation", names);  // fails with the list of names
  const ir::ActivationInfo& info = ir::activation_info(*kind);
  l.activation = *kind;
  l.activation_params = info.defaults();
  const std::vector<const ir::ActivationParam*> settable = info.settable();
  std::vector<Formal> formals;
  std::string example = word + "(";
  for (const ir::ActivationParam* p : settable) {
    formals.push_back({std::string(p->name), p->required()});
    if (formals.size() > 1) example += ", ";
    example += p->required() ? std::string(p->name) : fmt::format("{}", p->default_value);
  }
  example += ")";
  if (!call) {
    for (const ir::ActivationParam* p : settable)
      if (p->required())
        fail(where(v), "the activation " + word + " needs its " + std::string(p->name) + " (" + std::string(p->what) + ")",
             "write it as a call: " + signature(word, formals));
    return;
  }
  if (settable.empty())
    fail(where(v), "the activation " + word + " takes no arguments", "write it as a plain word: " + word);
  const BoundArgs args(*call, formals, word + "()");
  for (std::size_t i = 0; i < settable.size(); ++i) {
    if (!args.slot(i)) continue;
    const ir::ActivationParam& p = *settable[i];
    const std::string what = word + " " + std::string(p.name);
    const double value = number(*args.slot(i), &scope, what);
    if (!(value >= p.minimum))
      fail(where(resolve(*args.slot(i), &scope)),
           what + " must be at least " + fmt::format("{}", p.minimum) + ", not " + describe(resolve(*args.slot(i), &scope)),
           "it is " + std::string(p.what) + ", e.g. " + example);
    l.activation_params[static_cast<std::size_t>(&p - info.params.data())] = value;
  }
  // clip: the bounds in order.
  for (std::size_t lo = 0; lo < info.params.size(); ++lo)
    for (std::size_t hi = 0; hi < info.params.size(); ++hi)
      if (info.params[lo].attr == ir::AttrId::lo && info.params[hi].attr == ir::AttrId::hi &&
          l.activation_params[lo] > l.activation_params[hi])
        fail(where(v),
             word + "'s " + std::string(info.params[lo].name) + " (" + fmt::format("{}", l.activation_params[lo]) +
                 ") is above its " + std::string(info.params[hi].name) + " (" +
                 fmt::format("{}", l.activation_params[hi]) + ")",
             "give the lower bound first, e.g. clip(-1, 1)");
}

/// A count typed in a script (units, filters): 1 .. max_tensor_elements.
std::int64_t count_value(const ast::Expr& e, const Scope& scope, const std::string& what) {
  const std::int64_t v = at_least(e, &scope, what, 1);
  if (v > max_tensor_elements)
    fail(where(resolve(e, &scope)),
         what + " must be at most " + std::to_string(max_tensor_elements) + ", not " + std::to_string(v));
  return v;
}

/// The layer's output and parameter tensors are within max_tensor_elements.
void check_sizes(const ast::LayerLine& line, const Layer& l) {
  const std::string limit = std::to_string(max_tensor_elements);
  const std::string hint = "use fewer units or filters, a smaller input, or larger strides or pools";
  if (!within_size_limit(l.shape))
    fail(line.call, "layer '" + l.name + "' outputs " + shape_text(l.shape) + " values per sample, more than the limit of " + limit,
         hint);
  for (const ParamSpec& p : l.params)
    if (!within_size_limit(p.shape))
      fail(line.call, "the " + p.name + " of layer '" + l.name + "' is " + shape_text(p.shape) +
                          ", more values than the limit of " + limit,
           hint);
}

/// Output size of a window sliding over `in` (TF rules): valid = floor((in -
/// k) / s) + 1, same = ceil(in / s); explicit: `before` and `after` cells
/// added. Returns <= 0 when the window doesn't fit.
std::int64_t slide(std::int64_t in, int k, int s, ir::Padding p, int before, int after) {
  if (p == ir::Padding::Same) return (in + s - 1) / s;
  if (p == ir::Padding::Explicit) in += before + after;
  return in < k ? 0 : (in - k) / s + 1;
}

/// The cells a k-tap window spans when its taps are d apart.
int dilated(int k, int d) { return d * (k - 1) + 1; }

struct LayerBuilder {
  const Scope& scope;
  std::vector<Layer>& layers;
  std::map<std::string, int>& by_name;

  const Layer& input_of(const Layer& l) const { return layers[static_cast<std::size_t>(l.inputs.at(0))]; }

  void need_image(const ast::LayerLine& line, const Layer& l) const {
    const Layer& in = input_of(l);
    if (in.shape.size() != 3)
      fail(line.call.callee, line.call.callee.text + " needs an image input (height x width x channels), but '" +
                                 in.name + "' gives " + shape_text(in.shape),
           "image layers must come before flatten() and dense()");
  }

  void spatial(const ast::LayerLine& line, Layer& l, const char* what) const {
    const Layer& in = input_of(l);
    const int span_h = dilated(l.window_h, l.dilation_h), span_w = dilated(l.window_w, l.dilation_w);
    const std::int64_t h = slide(in.shape[0], span_h, l.stride_h, l.padding, l.pads[0], l.pads[1]);
    const std::int64_t w = slide(in.shape[1], span_w, l.stride_w, l.padding, l.pads[2], l.pads[3]);
    if (h <= 0 || w <= 0)
      fail(line.call, std::string(what) + " window " + std::to_string(span_h) + "x" + std::to_string(span_w) +
                          (span_h != l.window_h || span_w != l.window_w ? " (dilated)" : "") + " does not fit the " +
                          shape_text(in.shape) + " input from '" + in.name + "'",
           "use padding=same or a smaller window");
    const bool conv = l.kind == LayerKind::Conv2D || l.kind == LayerKind::DepthwiseConv2D;
    l.shape = {h, w, conv ? l.units : in.shape[2]};
  }

  void padding_and_strides(const BoundArgs& args, std::size_t strides_slot, std::size_t padding_slot, Layer& l,
                           std::pair<int, int> default_strides) const {
    const auto strides = args.slot(strides_slot) ? window(*args.slot(strides_slot), &scope, "strides") : default_strides;
    l.stride_h = strides.first;
    l.stride_w = strides.second;
    if (args.slot(padding_slot)) read_padding(*args.slot(padding_slot), l);
  }

  /// `valid`, `same`, a number of cells on every side (`1`), or rows x
  /// columns (`1x2`: one above and below, two left and right). Explicit
  /// cells must be fewer than the window's side. Call after the window is set.
  void read_padding(const ast::Expr& e, Layer& l) const {
    const ast::Expr& v = resolve(e, &scope);
    std::pair<std::int64_t, std::int64_t> cells;
    if (auto* d = boost::get<ast::Dims>(&v.head.get()); d && v.stages.empty()) {
      if (d->values.size() != 2)
        fail(where(v), "padding takes two sizes (rows x columns), not " + std::to_string(d->values.size()),
             "e.g. padding = 1x2, or one number for every side");
      cells = {d->values[0], d->values[1]};
    } else if (auto* n = boost::get<ast::Number>(&v.head.get()); n && v.stages.empty()) {
      cells.first = cells.second = integer(*n, "padding");
      if (cells.first < 0) fail(where(v), "padding must not be negative, not " + n->text);
    } else {
      l.padding = choice(e, &scope, "padding", {"valid", "same"}) == "same" ? ir::Padding::Same : ir::Padding::Valid;
      return;
    }
    const int span_h = dilated(l.window_h, l.dilation_h), span_w = dilated(l.window_w, l.dilation_w);
    if (cells.first >= span_h || cells.second >= span_w)
      fail(where(v),
           "padding " + std::to_string(cells.first) + "x" + std::to_string(cells.second) + " must be less than the window " +
               std::to_string(span_h) + "x" + std::to_string(span_w) + " on each side",
           "a window never lies wholly in the padding; use padding = same for TF's choice");
    l.padding = ir::Padding::Explicit;
    const int rows = static_cast<int>(cells.first), cols = static_cast<int>(cells.second);
    l.pads = {rows, rows, cols, cols};
  }

  void build(const ast::LayerLine& line, Layer& l) {
    const ast::Call& call = line.call;
    const std::string& kind = call.callee.text;
    const std::string what = kind + "()";
    if (kind == "conv2d") {
      const BoundArgs args(call,
                           {{"filters", true}, {"kernel", true}, {"strides"}, {"padding"}, {"activation"}, {"use_bias"},
                            {"dilation"}, {"groups"}},
                           what);
      l.kind = LayerKind::Conv2D;
      need_image(line, l);
      l.units = static_cast<int>(count_value(*args.slot(0), scope, "conv2d filters"));
      std::tie(l.window_h, l.window_w) = window(*args.slot(1), &scope, "conv2d kernel");
      if (args.slot(6)) std::tie(l.dilation_h, l.dilation_w) = window(*args.slot(6), &scope, "conv2d dilation");
      padding_and_strides(args, 2, 3, l, {1, 1});
      if (args.slot(4)) read_activation(*args.slot(4), scope, l);
      if (args.slot(5)) l.use_bias = boolean(*args.slot(5), &scope, "use_bias");
      spatial(line, l, "conv2d kernel");
      const std::int64_t c = input_of(l).shape[2];
      if (args.slot(7)) {
        l.groups = static_cast<int>(count_value(*args.slot(7), scope, "conv2d groups"));
        if (c % l.groups != 0 || l.units % l.groups != 0)
          fail(where(resolve(*args.slot(7), &scope)),
               "conv2d groups " + std::to_string(l.groups) + " must divide both the input's " + std::to_string(c) +
                   " channels and the " + std::to_string(l.units) + " filters",
               "each group convolves channels/groups inputs into filters/groups outputs; use a common divisor");
      }
      // Keras' fans for a grouped kernel (K,K,C/groups,filters).
      const std::int64_t per_group = c / l.groups;
      ParamSpec kernel{"kernel", {l.window_h, l.window_w, per_group, l.units}, true, Init::GlorotUniform,
                       l.window_h * l.window_w * per_group, std::int64_t{l.window_h} * l.window_w * l.units};
      l.params.push_back(kernel);
      if (l.use_bias) l.params.push_back({"bias", {l.units}, true, Init::Zeros, 0, 0});
    } else if (kind == "depthwise_conv2d") {
      const BoundArgs args(
          call, {{"kernel", true}, {"strides"}, {"padding"}, {"multiplier"}, {"activation"}, {"use_bias"}, {"dilation"}}, what);
      l.kind = LayerKind::DepthwiseConv2D;
      need_image(line, l);
      std::tie(l.window_h, l.window_w) = window(*args.slot(0), &scope, "depthwise_conv2d kernel");
      if (args.slot(6)) std::tie(l.dilation_h, l.dilation_w) = window(*args.slot(6), &scope, "depthwise_conv2d dilation");
      padding_and_strides(args, 1, 2, l, {1, 1});
      const std::int64_t c = input_of(l).shape[2];
      const std::int64_t multiplier = args.slot(3) ? count_value(*args.slot(3), scope, "depthwise_conv2d multiplier") : 1;
      if (c * multiplier > max_tensor_elements)
        fail(where(*args.slot(3)), "depthwise_conv2d would make " + std::to_string(c) + " x " + std::to_string(multiplier) +
                                       " channels, more than the limit of " + std::to_string(max_tensor_elements));
      l.units = static_cast<int>(c * multiplier);
      if (args.slot(4)) read_activation(*args.slot(4), scope, l);
      if (args.slot(5)) l.use_bias = boolean(*args.slot(5), &scope, "use_bias");
      spatial(line, l, "depthwise_conv2d kernel");
      // Keras' depthwise_kernel (K,K,C,M) and its glorot fans: K*K*C in, K*K*M out.
      l.params.push_back({"depthwise_kernel", {l.window_h, l.window_w, c, multiplier}, true, Init::GlorotUniform,
                          std::int64_t{l.window_h} * l.window_w * c, std::int64_t{l.window_h} * l.window_w * multiplier});
      if (l.use_bias) l.params.push_back({"bias", {l.units}, true, Init::Zeros, 0, 0});
    } else if (kind == "maxpool2d" || kind == "avgpool2d") {
      const bool average = kind == "avgpool2d";
      std::vector<Formal> formals{{"pool"}, {"strides"}, {"padding"}};
      if (average) formals.push_back({"count_include_pad"});
      const BoundArgs args(call, formals, what);
      l.kind = average ? LayerKind::AvgPool2D : LayerKind::MaxPool2D;
      need_image(line, l);
      std::tie(l.window_h, l.window_w) = args.slot(0) ? window(*args.slot(0), &scope, kind + " pool") : std::pair{2, 2};
      padding_and_strides(args, 1, 2, l, {l.window_h, l.window_w});
      // Every window lies inside the padded image, so counting the padded
      // cells divides each sum by the window's area.
      if (average && args.slot(3)) l.count_include_pad = boolean(*args.slot(3), &scope, "count_include_pad");
      spatial(line, l, (kind + " pool").c_str());
    } else if (kind == "global_maxpool2d" || kind == "global_avgpool2d") {
      const BoundArgs args(call, {}, what);
      l.kind = kind == "global_maxpool2d" ? LayerKind::GlobalMaxPool2D : LayerKind::GlobalAvgPool2D;
      need_image(line, l);
      l.shape = {input_of(l).shape[2]};
    } else if (kind == "flatten") {
      const BoundArgs args(call, {}, what);
      l.kind = LayerKind::Flatten;
      l.shape = {ir::element_count(input_of(l).shape)};
    } else if (kind == "dense") {
      const BoundArgs args(call, {{"units", true}, {"activation"}, {"use_bias"}}, what);
      l.kind = LayerKind::Dense;
      const Layer& in = input_of(l);
      if (in.shape.size() != 1)
        fail(call.callee, "dense needs a flat input, but '" + in.name + "' gives " + shape_text(in.shape),
             "add flatten() (or global_avgpool2d()) before it");
      l.units = static_cast<int>(count_value(*args.slot(0), scope, "dense units"));
      if (args.slot(1)) read_activation(*args.slot(1), scope, l);
      if (args.slot(2)) l.use_bias = boolean(*args.slot(2), &scope, "use_bias");
      l.shape = {l.units};
      l.params.push_back({"kernel", {in.shape[0], l.units}, true, Init::GlorotUniform, in.shape[0], l.units});
      if (l.use_bias) l.params.push_back({"bias", {l.units}, true, Init::Zeros, 0, 0});
    } else if (kind == "dropout") {
      const BoundArgs args(call, {{"rate", true}}, what);
      l.kind = LayerKind::Dropout;
      l.rate = number(*args.slot(0), &scope, "dropout rate");
      if (!(l.rate >= 0 && l.rate < 1))
        fail(where(resolve(*args.slot(0), &scope)), "dropout rate must be in [0, 1), not " + describe(resolve(*args.slot(0), &scope)),
             "it is the fraction of units dropped, e.g. 0.3");
      l.shape = input_of(l).shape;
    } else if (kind == "batchnorm") {
      const BoundArgs args(call, {{"momentum"}, {"epsilon"}}, what);
      l.kind = LayerKind::BatchNorm;
      if (args.slot(0)) l.momentum = number(*args.slot(0), &scope, "batchnorm momentum");
      if (args.slot(1)) l.epsilon = number(*args.slot(1), &scope, "batchnorm epsilon");
      if (!(l.momentum >= 0 && l.momentum < 1)) fail(where(*args.slot(0)), "batchnorm momentum must be in [0, 1)");
      if (!(l.epsilon > 0)) fail(where(*args.slot(1)), "batchnorm epsilon must be positive");
      l.shape = input_of(l).shape;
      const ir::Shape c = {l.shape.back()};
      l.params = {{"gamma", c, true, Init::Ones, 0, 0},
                  {"beta", c, true, Init::Zeros, 0, 0},
                  {"moving_mean", c, false, Init::Zeros, 0, 0},
                  {"moving_variance", c, false, Init::Ones, 0, 0}};
    } else if (kind == "activation") {
      const BoundArgs args(call, {{"function", true}}, what);
      l.kind = LayerKind::Activation;
      read_activation(*args.slot(0), scope, l);
      l.shape = input_of(l).shape;
    } else {
      std::vector<std::string> layers;
      std::string list;
      for (const LayerKind k : layer_kinds()) {
        layers.push_back(layer_word(k));
        list += (list.empty() ? "" : k == layer_kinds().back() ? " and " : ", ") + layers.back();
      }
      const std::string best = closest(kind, layers);
      fail(call.callee, "unknown layer '" + kind + "'", (best.empty() ? "" : "did you mean '" + best + "'? ") + "layers are " + list);
    }
  }

  /// add(a, b, ...), multiply(a, b, ...) and concat(a, b, ...): every
  /// argument names an earlier layer; shapes must agree (concat's on every
  /// axis but the channels). multiply also takes (C) inputs with (H, W, C)
  /// ones: each scales the image's channels (squeeze-and-excite).
  void build_merge(const ast::LayerLine& line, Layer& l) {
    const std::string& kind = line.call.callee.text;
    l.kind = kind == "add" ? LayerKind::Add : kind == "multiply" ? LayerKind::Multiply : LayerKind::Concat;
    if (line.from) fail(*line.from, kind + "() takes its inputs as arguments, not with 'from'");
    if (line.call.args.size() < 2)
      fail(line.call, kind + "() needs at least two inputs", "name the layers: " + kind + "(stem, branch)");
    for (const ast::Arg& arg : line.call.args) {
      const std::string ref = bare_word(arg.value);
      if (arg.keyword || ref.empty()) fail(arg, kind + "() takes names of earlier layers, not " + describe(arg.value));
      auto it = by_name.find(ref);
      if (it == by_name.end())
        fail(arg, kind + "(): no earlier layer is named '" + ref + "'", "label a layer with name: layer(...)");
      l.inputs.push_back(it->second);
    }
    const auto shape_of = [&](std::size_t i) -> const ir::Shape& { return layers[static_cast<std::size_t>(l.inputs[i])].shape; };
    // The result's shape: the first input's, or for multiply the first image's.
    std::size_t base = 0;
    if (l.kind == LayerKind::Multiply)
      for (std::size_t i = 0; i < l.inputs.size(); ++i)
        if (shape_of(i).size() == 3) {
          base = i;
          break;
        }
    const Layer& first = layers[static_cast<std::size_t>(l.inputs[base])];
    if (l.kind == LayerKind::Concat) {
      l.shape = first.shape;
      l.shape.back() = 0;
      for (std::size_t i = 0; i < l.inputs.size(); ++i) {
        const Layer& other = layers[static_cast<std::size_t>(l.inputs[i])];
        const bool fits = other.shape.size() == first.shape.size() &&
                          std::equal(other.shape.begin(), other.shape.end() - 1, first.shape.begin());
        if (!fits)
          fail(line.call.args[i],
               "concat() joins along the channels, so the other sizes must agree, but '" + first.name + "' is " +
                   shape_text(first.shape) + " and '" + other.name + "' is " + shape_text(other.shape),
               first.shape.size() == 3 ? "pool or pad the branches to the same height and width" : "");
        l.shape.back() += other.shape.back();
      }
      return;
    }
    for (std::size_t i = 0; i < l.inputs.size(); ++i) {
      const Layer& other = layers[static_cast<std::size_t>(l.inputs[i])];
      if (other.shape == first.shape) continue;
      const bool scales = l.kind == LayerKind::Multiply && first.shape.size() == 3 && other.shape.size() == 1 &&
                          other.shape[0] == first.shape[2];
      if (scales) continue;
      fail(line.call.args[i],
           kind + "() needs equal shapes, but '" + first.name + "' is " + shape_text(first.shape) + " and '" + other.name +
               "' is " + shape_text(other.shape),
           l.kind == LayerKind::Multiply && first.shape.size() == 3
               ? "multiply() also scales an image's channels by a (" + std::to_string(first.shape[2]) + ") input"
               : "");
    }
    l.shape = first.shape;
  }
};

ir::Shape input_shape(const ast::LayerLine& line, const Scope& scope) {
  const ast::Call& call = line.call;
  if (call.args.empty())
    fail(call, "input() needs the shape of one sample", "e.g. input(28, 28, 1) or input(28x28x1)");
  ir::Shape shape;
  for (const ast::Arg& arg : call.args) {
    if (arg.keyword) fail(*arg.keyword, "input() takes only the sizes of the sample's dimensions");
    const ast::Expr& v = resolve(arg.value, &scope);
    if (auto* d = boost::get<ast::Dims>(&v.head.get())) {
      for (unsigned x : d->values) {
        if (x < 1) fail(where(v), "input sizes must be at least 1");
        shape.push_back(x);
      }
    } else {
      shape.push_back(at_least(arg.value, &scope, "input size", 1));
    }
  }
  if (shape.size() != 1 && shape.size() != 3)
    fail(call, "input() takes height x width x channels (or one feature count), not " + std::to_string(shape.size()) +
                   " sizes",
         "for grey images write input(28, 28, 1)");
  return shape;
}

}  // namespace

void append_lines(ModelSpec& spec, const std::vector<ast::LayerLine>& lines, const Scope& scope,
                  const std::string& where_name) {
  std::map<std::string, int> by_name;
  std::map<std::string, int> auto_counts;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) by_name[spec.layers[i].name] = static_cast<int>(i);
  LayerBuilder builder{scope, spec.layers, by_name};
  const std::size_t first_new = spec.layers.size();

  for (std::size_t k = 0; k < lines.size(); ++k) {
    const ast::LayerLine& line = lines[k];
    const std::size_t i = spec.layers.size();
    Layer layer;
    layer.where = {line.offset, line.length};
    const std::string& kind = line.call.callee.text;
    if (i == 0) {
      if (kind != "input")
        fail(line.call, "model " + where_name + " must start with input(...)", "e.g. input(28, 28, 1) as its first line");
      layer.kind = LayerKind::Input;
      layer.shape = input_shape(line, scope);
      if (line.from) fail(*line.from, "input() has no predecessor to take 'from'");
    } else if (kind == "input") {
      fail(line.call.callee, "a model has exactly one input(), as its first line");
    } else if (kind == "add" || kind == "multiply" || kind == "concat") {
      builder.build_merge(line, layer);
    } else {
      if (line.from) {
        auto it = by_name.find(line.from->text);
        if (it == by_name.end())
          fail(*line.from, "no earlier layer is named '" + line.from->text + "'",
               "'from' takes the label of an earlier line, e.g. stem: conv2d(...)");
        layer.inputs = {it->second};
      } else {
        layer.inputs = {spec.output};
      }
      builder.build(line, layer);
    }
    // Name the layer: its label, or the Keras-style automatic name.
    if (line.label) {
      layer.name = line.label->text;
      if (by_name.count(layer.name))
        fail(*line.label, "model " + where_name + " already has a layer named '" + layer.name + "'");
    } else {
      const std::string base = default_layer_name(layer.kind);
      do {
        const int n = auto_counts[base]++;
        layer.name = n == 0 ? base : base + "_" + std::to_string(n);
      } while (by_name.count(layer.name));
    }
    // Each layer is checked before a later one multiplies its sizes.
    check_sizes(line, layer);
    if (i > 0 && layer.inputs != std::vector<int>{spec.output}) spec.sequential = false;
    by_name[layer.name] = static_cast<int>(i);
    spec.layers.push_back(std::move(layer));
    spec.output = static_cast<int>(i);
  }
  // A layer nobody reads (other than the output) is a dead branch: always a
  // mistake in a script.
  std::vector<bool> used(spec.layers.size(), false);
  for (const auto& l : spec.layers)
    for (int in : l.inputs) used[static_cast<std::size_t>(in)] = true;
  for (std::size_t i = first_new; i + 1 < spec.layers.size(); ++i)
    if (!used[i])
      fail(lines[i - first_new], "the output of layer '" + spec.layers[i].name + "' is never used",
           "a later line should take it with 'from " + spec.layers[i].name + "' or add(...), multiply(...) or concat(...)");
}

ModelSpec instantiate(const ast::ModelDef& def, const ast::Call& call, const std::string& instance_name) {
  // 1. Bind the model's parameters.
  std::vector<Formal> formals;
  for (const auto& p : def.params) formals.push_back({p.name.text, !p.default_value});
  const BoundArgs args(call, formals, "model " + def.name.text);
  Scope scope;
  for (std::size_t i = 0; i < formals.size(); ++i)
    scope.bindings[formals[i].name] = args.slot(i) ? args.slot(i) : &*def.params[i].default_value;

  // 2. The layers, in order.
  ModelSpec spec;
  spec.name = instance_name;
  spec.architecture = def.name.text;
  if (def.layers.empty())
    fail(def.name, "model " + def.name.text + " has no layers", "start it with input(...)");
  append_lines(spec, def.layers, scope, def.name.text);
  return spec;
}

}  // namespace tl::check
