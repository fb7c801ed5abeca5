// Names of layer kinds, parameter counting and the size limit.
#include "compiler/check/experiment.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::check {

namespace {

struct LayerRow {
  LayerKind kind;
  const char* word;
  const char* keras;
  const char* default_name;
};

constexpr LayerRow layer_rows[] = {
#define TL_LAYER(kind, word, keras, default_name, doc) {LayerKind::kind, word, keras, default_name},
#include "compiler/check/layers.def"
#undef TL_LAYER
};

const LayerRow& row(LayerKind kind) { return layer_rows[static_cast<std::size_t>(kind)]; }

}  // namespace

const std::vector<LayerKind>& layer_kinds() {
  static const std::vector<LayerKind> all = [] {
    std::vector<LayerKind> v;
    for (const LayerRow& r : layer_rows) v.push_back(r.kind);
    return v;
  }();
  return all;
}

const char* keras_class(LayerKind kind) { return row(kind).keras; }
const char* default_layer_name(LayerKind kind) { return row(kind).default_name; }
const char* layer_word(LayerKind kind) { return row(kind).word; }

bool within_size_limit(const ir::Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 1 || n > max_tensor_elements / d) return false;
    n *= d;
  }
  return true;
}

std::int64_t Layer::param_count() const {
  std::int64_t total = 0;
  for (const auto& p : params) total += ir::element_count(p.shape);
  return total;
}

std::uint64_t ModelSpec::random_stream(const std::string& what) const {
  return rng::stream_of((name + "/" + what).c_str());
}

std::size_t ModelSpec::outputs() const {
  const ir::Shape& shape = layers[static_cast<std::size_t>(output)].shape;
  return shape.size() == 1 ? static_cast<std::size_t>(shape[0]) : 0;
}

std::string class_name(const std::vector<std::string>& names, std::int64_t label) {
  if (label >= 0 && static_cast<std::size_t>(label) < names.size() && !names[static_cast<std::size_t>(label)].empty())
    return names[static_cast<std::size_t>(label)];
  return std::to_string(label);
}

std::int64_t ModelSpec::total_params() const {
  std::int64_t total = 0;
  for (const auto& l : layers) total += l.param_count();
  return total;
}

std::int64_t ModelSpec::trainable_params() const {
  std::int64_t total = 0;
  for (const auto& l : layers)
    for (const auto& p : l.params)
      if (p.trainable && !frozen.count(tensor_name(l, p))) total += ir::element_count(p.shape);
  return total;
}

}  // namespace tl::check
