// Keras-compatible initialisation of a model's tensors (see model_state.hpp).
#include "runtime/train/model_state.hpp"

#include <cmath>

#include "compiler/ir/optimizer.hpp"
#include "compiler/ir/philox.hpp"

namespace tl::train {

ModelState initialise(const check::ModelSpec& spec, std::uint64_t seed) {
  ModelState state;
  state.spec = &spec;
  for (const auto& layer : spec.layers) {
    for (const auto& p : layer.params) {
      const std::string name = check::ModelSpec::tensor_name(layer, p);
      Tensor t = Tensor::from_shape(std::vector<std::size_t>(p.shape.begin(), p.shape.end()));
      switch (p.init) {
        case check::Init::Zeros: t.fill(0.0f); break;
        case check::Init::Ones: t.fill(1.0f); break;
        case check::Init::GlorotUniform: {
          const double limit = std::sqrt(6.0 / static_cast<double>(p.fan_in + p.fan_out));
          const std::uint64_t stream = spec.random_stream(name);
          for (std::size_t i = 0; i < t.size(); ++i)
            t.data()[i] = static_cast<float>((2.0 * rng::uniform(seed, stream, 0, i) - 1.0) * limit);
          break;
        }
      }
      state.vars.tensors[name] = std::move(t);
    }
  }
  return state;
}

void reset_optimizer(ModelState& state) {
  std::erase_if(state.vars.tensors, [](const auto& tensor) { return ir::is_optimizer_slot(tensor.first); });
}

}  // namespace tl::train
