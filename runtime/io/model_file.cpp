// Model files (see model_file.hpp).
#include "runtime/io/model_file.hpp"

#include <algorithm>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "runtime/data/data_error.hpp"
#include "runtime/data/pixel_map_json.hpp"
#include "runtime/io/safetensors.hpp"

namespace tl::io {

namespace {

using check::Layer;
using check::LayerKind;

LayerKind kind_named(const std::string& name) {
  for (LayerKind k : check::layer_kinds())
    if (name == check::keras_class(k)) return k;
  throw std::invalid_argument("unknown layer type '" + name + "'");
}

/// The layer's activation from its description: the name, and the value of
/// each parameter the script may give under the parameter's name
/// (leaky_relu: "alpha"; clip: "min", "max"). Fixed ones (relu6's bounds)
/// are not written.
void read_activation(const nlohmann::json& j, Layer& l) {
  const std::string name = j.at("activation").get<std::string>();
  const std::optional<ir::Activation> a = ir::activation_named(name);
  if (!a) throw std::invalid_argument("unknown activation '" + name + "'");
  l.activation = *a;
  const ir::ActivationInfo& info = ir::activation_info(*a);
  l.activation_params = info.defaults();
  for (std::size_t i = 0; i < info.params.size(); ++i) {
    const ir::ActivationParam& p = info.params[i];
    if (p.fixed) continue;
    const std::string key(p.name);
    if (j.contains(key)) l.activation_params[i] = j.at(key).get<double>();
    if (!(l.activation_params[i] >= p.minimum) || !std::isfinite(l.activation_params[i]))
      throw std::invalid_argument("layer '" + l.name + "' has " + (j.contains(key) ? "an invalid" : "no") + " " + name +
                                  " " + key);
  }
  if (*a == ir::Activation::Clip && l.activation_params.at(0) > l.activation_params.at(1))
    throw std::invalid_argument("layer '" + l.name + "' has a clip min above its max");
}

const char* init_name(check::Init i) {
  switch (i) {
    case check::Init::GlorotUniform: return "glorot_uniform";
    case check::Init::Zeros: return "zeros";
    case check::Init::Ones: return "ones";
  }
  return "zeros";
}

check::Init init_named(const std::string& name) {
  if (name == "glorot_uniform") return check::Init::GlorotUniform;
  if (name == "ones") return check::Init::Ones;
  if (name == "zeros") return check::Init::Zeros;
  throw std::invalid_argument("unknown initialiser '" + name + "'");
}

/// A whole number from lo to hi. The description comes from a file, so a
/// fraction, a string or a number out of range is an error, never converted
/// (get<int>() on 1e300 would be undefined behaviour).
std::int64_t whole(const nlohmann::json& v, std::int64_t lo, std::int64_t hi, const std::string& what) {
  const bool in_range = v.is_number_unsigned() ? v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)
                                               : v.is_number_integer() && v.get<std::int64_t>() <= hi;
  if (!in_range || v.get<std::int64_t>() < lo)
    throw std::invalid_argument(what + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return v.get<std::int64_t>();
}

int small_whole(const nlohmann::json& v, std::int64_t lo, const std::string& what) {
  return static_cast<int>(whole(v, lo, check::max_tensor_elements, what));
}

/// The "shape" of a layer or tensor: sizes within the checker's limit.
ir::Shape shape_of(const nlohmann::json& v, const std::string& what) {
  const std::string rule = what + " must be an array of sizes holding at most " +
                           std::to_string(check::max_tensor_elements) + " values";
  if (!v.at("shape").is_array()) throw std::invalid_argument(rule);
  ir::Shape shape;
  for (const auto& d : v.at("shape")) shape.push_back(whole(d, 1, check::max_tensor_elements, what + " sizes"));
  if (!check::within_size_limit(shape)) throw std::invalid_argument(rule);
  return shape;
}

}  // namespace

nlohmann::json describe_model(const check::ModelSpec& m) {
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer& l : m.layers) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : l.params)
      params.push_back({{"name", p.name}, {"shape", p.shape}, {"trainable", p.trainable}, {"init", init_name(p.init)},
                        {"fan_in", p.fan_in}, {"fan_out", p.fan_out}});
    nlohmann::json layer = {{"name", l.name}, {"type", check::keras_class(l.kind)}, {"inputs", l.inputs}, {"shape", l.shape},
                      {"units", l.units}, {"window", {l.window_h, l.window_w}}, {"strides", {l.stride_h, l.stride_w}},
                      {"padding", ir::attr_text(l.padding)},
                      {"activation", ir::to_string(l.activation)}, {"use_bias", l.use_bias}, {"rate", l.rate},
                      {"momentum", l.momentum}, {"epsilon", l.epsilon}, {"params", params}};
    if (l.padding == ir::Padding::Explicit) layer["pads"] = l.pads;
    // Written only when set, so files of models without them read as before.
    if (l.dilation_h != 1 || l.dilation_w != 1) layer["dilation"] = {l.dilation_h, l.dilation_w};
    if (l.groups != 1) layer["groups"] = l.groups;
    if (l.count_include_pad) layer["count_include_pad"] = true;
    const ir::ActivationInfo& info = ir::activation_info(l.activation);
    for (std::size_t i = 0; i < info.params.size(); ++i)
      if (!info.params[i].fixed) layer[std::string(info.params[i].name)] = l.activation_params.at(i);
    layers.push_back(std::move(layer));
  }
  return {{"name", m.name}, {"architecture", m.architecture}, {"output", m.output}, {"sequential", m.sequential},
          {"frozen", m.frozen}, {"layers", layers}};
}

check::ModelSpec model_from_description(const nlohmann::json& d) {
  try {
    check::ModelSpec m;
    m.name = d.at("name").get<std::string>();
    m.architecture = d.at("architecture").get<std::string>();
    m.output = small_whole(d.at("output"), 0, "the output layer index");
    m.sequential = d.at("sequential").get<bool>();
    m.frozen = d.at("frozen").get<std::set<std::string>>();
    for (const auto& j : d.at("layers")) {
      Layer l;
      l.name = j.at("name").get<std::string>();
      l.kind = kind_named(j.at("type").get<std::string>());
      for (const auto& in : j.at("inputs")) {
        l.inputs.push_back(small_whole(in, 0, "layer '" + l.name + "' inputs"));
        if (l.inputs.back() >= static_cast<int>(m.layers.size()))
          throw std::invalid_argument("layer '" + l.name + "' reads a layer that does not come before it");
      }
      l.shape = shape_of(j, "layer '" + l.name + "' shape");
      l.units = small_whole(j.at("units"), 0, "layer '" + l.name + "' units");
      l.window_h = small_whole(j.at("window").at(0), 1, "layer '" + l.name + "' window");
      l.window_w = small_whole(j.at("window").at(1), 1, "layer '" + l.name + "' window");
      l.stride_h = small_whole(j.at("strides").at(0), 1, "layer '" + l.name + "' strides");
      l.stride_w = small_whole(j.at("strides").at(1), 1, "layer '" + l.name + "' strides");
      const std::string padding = j.at("padding").get<std::string>();
      if (padding != "same" && padding != "valid" && padding != "explicit")
        throw std::invalid_argument("layer '" + l.name + "' has an unknown padding '" + padding + "'");
      l.padding = padding == "same" ? ir::Padding::Same : padding == "valid" ? ir::Padding::Valid : ir::Padding::Explicit;
      if (l.padding == ir::Padding::Explicit)
        for (std::size_t k = 0; k < 4; ++k)  // fewer cells than the window's side
          l.pads[k] = small_whole(j.at("pads").at(k), 0, "layer '" + l.name + "' pads");
      if (j.contains("dilation")) {
        l.dilation_h = small_whole(j.at("dilation").at(0), 1, "layer '" + l.name + "' dilation");
        l.dilation_w = small_whole(j.at("dilation").at(1), 1, "layer '" + l.name + "' dilation");
      }
      if (j.contains("groups")) l.groups = small_whole(j.at("groups"), 1, "layer '" + l.name + "' groups");
      if (j.contains("count_include_pad")) l.count_include_pad = j.at("count_include_pad").get<bool>();
      const bool conv = l.kind == LayerKind::Conv2D || l.kind == LayerKind::DepthwiseConv2D;
      if ((l.dilation_h != 1 || l.dilation_w != 1) && !conv)
        throw std::invalid_argument("layer '" + l.name + "' has a dilation, which only convolutions take");
      if (l.groups != 1 && l.kind != LayerKind::Conv2D)
        throw std::invalid_argument("layer '" + l.name + "' has groups, which only conv2d takes");
      if (l.count_include_pad && l.kind != LayerKind::AvgPool2D)
        throw std::invalid_argument("layer '" + l.name + "' counts padded cells, which only avgpool2d does");
      const std::int64_t span_h = ir::dilated_span(l.window_h, l.dilation_h), span_w = ir::dilated_span(l.window_w, l.dilation_w);
      if (l.pads[0] >= span_h || l.pads[1] >= span_h || l.pads[2] >= span_w || l.pads[3] >= span_w)
        throw std::invalid_argument("layer '" + l.name + "' pads as much as its window or more");
      read_activation(j, l);
      l.use_bias = j.at("use_bias").get<bool>();
      l.rate = j.at("rate").get<double>();
      l.momentum = j.at("momentum").get<double>();
      l.epsilon = j.at("epsilon").get<double>();
      for (const auto& p : j.at("params")) {
        const std::string what = "tensor '" + l.name + "/" + p.at("name").get<std::string>() + "'";
        l.params.push_back({p.at("name").get<std::string>(), shape_of(p, what + " shape"), p.at("trainable").get<bool>(),
                            init_named(p.at("init").get<std::string>()),
                            whole(p.at("fan_in"), 0, std::numeric_limits<std::int64_t>::max(), what + " fan_in"),
                            whole(p.at("fan_out"), 0, std::numeric_limits<std::int64_t>::max(), what + " fan_out")});
      }
      if (l.groups != 1) {  // the kernel takes channels/groups inputs and the groups split the filters
        const bool fits = !l.inputs.empty() && !l.params.empty() && l.params[0].shape.size() == 4 &&
                          !m.layers[static_cast<std::size_t>(l.inputs[0])].shape.empty() &&
                          l.params[0].shape[2] * l.groups == m.layers[static_cast<std::size_t>(l.inputs[0])].shape.back() &&
                          l.units % l.groups == 0;
        if (!fits) throw std::invalid_argument("layer '" + l.name + "' has groups that do not fit its kernel and input");
      }
      m.layers.push_back(std::move(l));
    }
    if (m.layers.empty() || m.layers.front().kind != LayerKind::Input)
      throw std::invalid_argument("the model has no input layer");
    if (m.output < 0 || m.output >= static_cast<int>(m.layers.size()))
      throw std::invalid_argument("the output layer index is out of range");
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("the description is incomplete: ") + e.what());
  }
}

void save_model(const std::string& path, const check::ModelSpec& model, const exec::Variables& vars,
                const std::optional<data::PixelMap>& pixels, const std::vector<std::string>& classes) {
  TensorFile file;
  for (const Layer& l : model.layers)
    for (const auto& p : l.params) {
      const std::string name = check::ModelSpec::tensor_name(l, p);
      file.tensors[name] = vars.tensors.at(name);
    }
  file.metadata["format"] = "tl-model";
  file.metadata["tl_version"] = "0.1.0";
  file.metadata["tl.model"] = describe_model(model).dump();
  if (pixels) file.metadata["tl.pixels"] = data::pixel_map_json(*pixels).dump();
  if (!classes.empty()) file.metadata["tl.classes"] = nlohmann::json(classes).dump();
  write_safetensors(path, file);
}

LoadedModel load_model(const std::string& path) {
  TensorFile file = read_safetensors(path);
  auto it = file.metadata.find("tl.model");
  if (it == file.metadata.end())
    throw data::DataError(path, std::nullopt, "the file holds tensors but no tl model description",
                          "tl loads files that tlc run or tl::Model::save wrote");
  LoadedModel loaded;
  try {
    loaded.spec = model_from_description(nlohmann::json::parse(it->second));
  } catch (const std::exception& e) {
    throw data::DataError(path, std::nullopt, std::string("the model description is invalid: ") + e.what());
  }
  for (const Layer& l : loaded.spec.layers)
    for (const auto& p : l.params) {
      const std::string name = check::ModelSpec::tensor_name(l, p);
      auto t = file.tensors.find(name);
      if (t == file.tensors.end()) throw data::DataError(path, std::nullopt, "the tensor '" + name + "' is missing");
      if (std::vector<std::int64_t>(t->second.shape().begin(), t->second.shape().end()) != p.shape)
        throw data::DataError(path, std::nullopt, "the tensor '" + name + "' has the wrong shape for its layer");
      loaded.vars.tensors[name] = std::move(t->second);
    }
  if (auto p = file.metadata.find("tl.pixels"); p != file.metadata.end()) {
    const auto invalid = [&](const std::string& why) {
      return data::DataError(path, std::nullopt, "the pixel map (tl.pixels) is invalid: " + why,
                             "it should be {\"scale\": S, \"offset\": O}, or arrays of one per channel, as tlc run writes it");
    };
    const nlohmann::json j = nlohmann::json::parse(p->second, nullptr, false);
    if (j.is_discarded()) throw invalid("not valid JSON (or a number out of range)");
    const ir::Shape& input = loaded.spec.layers.front().shape;
    try {
      loaded.pixels = data::pixel_map_from_json(j, input.empty() ? 0 : static_cast<std::size_t>(input.back()));
    } catch (const std::invalid_argument& e) {
      throw invalid(e.what());
    }
  }
  if (auto c = file.metadata.find("tl.classes"); c != file.metadata.end()) {
    const std::size_t outputs = loaded.spec.outputs();
    const nlohmann::json j = nlohmann::json::parse(c->second, nullptr, false);
    const bool valid = j.is_array() && j.size() == outputs &&
                       std::all_of(j.begin(), j.end(), [](const nlohmann::json& n) { return n.is_string(); });
    if (!valid)
      throw data::DataError(path, std::nullopt,
                            "the class names (tl.classes) are invalid: not a list of " + std::to_string(outputs) +
                                " strings, one per output",
                            "rewrite the file with tlc run or tl::Model::save");
    for (const auto& n : j) loaded.spec.class_names.push_back(n.get<std::string>());
  }
  return loaded;
}

}  // namespace tl::io
