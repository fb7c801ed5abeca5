// Names of layer kinds, parameter counting and the size limit.
#include "compiler/check/experiment.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::check {

const char* keras_class(LayerKind kind) {
  switch (kind) {
    case LayerKind::Input: return "InputLayer";
    case LayerKind::Conv2D: return "Conv2D";
    case LayerKind::MaxPool2D: return "MaxPooling2D";
    case LayerKind::AvgPool2D: return "AveragePooling2D";
    case LayerKind::GlobalMaxPool2D: return "GlobalMaxPooling2D";
    case LayerKind::Flatten: return "Flatten";
    case LayerKind::Dense: return "Dense";
    case LayerKind::Dropout: return "Dropout";
    case LayerKind::BatchNorm: return "BatchNormalization";
    case LayerKind::Activation: return "Activation";
    case LayerKind::Add: return "Add";
  }
  return "?";
}

const char* default_layer_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::Input: return "input";
    case LayerKind::Conv2D: return "conv2d";
    case LayerKind::MaxPool2D: return "max_pooling2d";
    case LayerKind::AvgPool2D: return "average_pooling2d";
    case LayerKind::GlobalMaxPool2D: return "global_max_pooling2d";
    case LayerKind::Flatten: return "flatten";
    case LayerKind::Dense: return "dense";
    case LayerKind::Dropout: return "dropout";
    case LayerKind::BatchNorm: return "batch_normalization";
    case LayerKind::Activation: return "activation";
    case LayerKind::Add: return "add";
  }
  return "?";
}

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
