// The activation table (see activation.hpp).
#include "compiler/ir/activation.hpp"

#include <limits>
#include <stdexcept>
#include <type_traits>

namespace tl::ir {

const std::vector<ActivationInfo>& activations() {
  static const std::vector<ActivationInfo> table = {
#define OP(kind) std::optional<OpKind>(OpKind::kind)
#define NO_OP std::optional<OpKind>()
#define REQUIRED std::numeric_limits<double>::quiet_NaN()
#define LOWEST std::numeric_limits<double>::lowest()
#define PARAM(attr, name, init, minimum, what) ActivationParam{AttrId::attr, name, init, minimum, what, false}
#define FIXED(attr, value) ActivationParam{AttrId::attr, "", value, LOWEST, "", true}
#define PARAMS(...) std::vector<ActivationParam>{__VA_ARGS__}
#define NO_PARAMS std::vector<ActivationParam>()
#define TL_ACTIVATION(name, spelling, forward, gradient, reads, keras, params, doc) \
  ActivationInfo{Activation::name, spelling, forward, gradient, GradReads::reads, keras, params},
#include "compiler/ir/activations.def"
#undef TL_ACTIVATION
#undef NO_PARAMS
#undef PARAMS
#undef FIXED
#undef PARAM
#undef LOWEST
#undef REQUIRED
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

std::vector<const ActivationParam*> ActivationInfo::settable() const {
  std::vector<const ActivationParam*> out;
  for (const ActivationParam& p : params)
    if (!p.fixed) out.push_back(&p);
  return out;
}

std::vector<double> ActivationInfo::defaults() const {
  std::vector<double> out;
  for (const ActivationParam& p : params) out.push_back(p.default_value);
  return out;
}

void set_params(Attrs& a, const ActivationInfo& info, const std::vector<double>& values) {
  if (values.size() != info.params.size())
    throw std::logic_error("set_params: " + std::string(info.spelling) + " takes " + std::to_string(info.params.size()) +
                           " values, given " + std::to_string(values.size()));
  for (std::size_t i = 0; i < values.size(); ++i)
    set_number(a, info.params[i].attr, info.params[i].fixed ? info.params[i].default_value : values[i]);
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
