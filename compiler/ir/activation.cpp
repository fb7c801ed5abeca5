// The activation table (see activation.hpp).
#include "compiler/ir/activation.hpp"

#include <stdexcept>
#include <type_traits>

namespace tl::ir {

const std::vector<ActivationInfo>& activations() {
  static const std::vector<ActivationInfo> table = {
#define OP(kind) std::optional<OpKind>(OpKind::kind)
#define NO_OP std::optional<OpKind>()
#define PARAM(attr, init, minimum) std::optional<ActivationParam>(ActivationParam{AttrId::attr, init, minimum})
#define NO_PARAM std::optional<ActivationParam>()
#define TL_ACTIVATION(name, spelling, forward, gradient, reads, keras, param, doc) \
  ActivationInfo{Activation::name, spelling, forward, gradient, GradReads::reads, keras, param},
#include "compiler/ir/activations.def"
#undef TL_ACTIVATION
#undef NO_PARAM
#undef PARAM
#undef NO_OP
#undef OP
  };
  return table;
}

const ActivationInfo& activation_info(Activation a) { return activations().at(static_cast<std::size_t>(a)); }

std::optional<Activation> activation_named(std::string_view word) {
  for (const ActivationInfo& info : activations())
    if (info.spelling == word) return info.kind;
  return std::nullopt;
}

const ActivationInfo* activation_of_op(OpKind op) {
  for (const ActivationInfo& info : activations())
    if (info.forward == op) return &info;
  return nullptr;
}

void set_number(Attrs& a, AttrId id, double value) {
  bool set = false;
  for_each_attr(a, [&](AttrId i, auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>)
      if (i == id) {
        v = value;
        set = true;
      }
  });
  if (!set) throw std::logic_error(std::string("set_number: ") + attr_name(id) + " is not a number");
}

double get_number(const Attrs& a, AttrId id) {
  std::optional<double> found;
  for_each_attr(a, [&](AttrId i, const auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>)
      if (i == id) found = v;
  });
  if (!found) throw std::logic_error(std::string("get_number: ") + attr_name(id) + " is not a number");
  return *found;
}

}  // namespace tl::ir
