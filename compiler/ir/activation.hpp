// Activations, expanded from activations.def: the Activation enum and each
// one's row (spelling, forward and gradient ops, Keras name, parameter).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/op_table.hpp"

namespace tl::ir {

enum class Activation : std::uint8_t {
#define TL_ACTIVATION(name, spelling, forward, gradient, reads, keras, param, doc) name,
#include "compiler/ir/activations.def"
#undef TL_ACTIVATION
};

/// Which forward value an activation's gradient op takes with the adjoint g.
enum class GradReads : std::uint8_t { Output, Input };

/// The one number an activation may take (leaky_relu's alpha).
struct ActivationParam {
  AttrId attr;             ///< the forward and gradient ops' attribute that holds it
  double default_value;
  double minimum;          ///< values below are refused by the checker
};

struct ActivationInfo {
  Activation kind;
  std::string_view spelling;
  std::optional<OpKind> forward;   ///< none for linear
  std::optional<OpKind> gradient;  ///< (forward value, g) -> dx
  GradReads reads;
  std::string_view keras;
  std::optional<ActivationParam> param;
};

const ActivationInfo& activation_info(Activation a);
/// Every activation, in table order.
const std::vector<ActivationInfo>& activations();
/// The activation spelled `word`, if any.
std::optional<Activation> activation_named(std::string_view word);
/// The activation whose forward op is `op`, if any.
const ActivationInfo* activation_of_op(OpKind op);
/// The spelling ("relu"), for messages, model files and summaries.
inline std::string to_string(Activation a) { return std::string(activation_info(a).spelling); }

/// Constants of gelu and its gradient, as floats, shared by the JIT and the
/// reference so both round alike: 1/sqrt(2) and 1/sqrt(2 pi).
inline constexpr float gelu_sqrt_half = 0.70710678118654752f;
inline constexpr float gelu_inv_sqrt_2pi = 0.39894228040143268f;

/// Sets the double attribute `id` of `a` to `value`. Pre: `id` is a double.
void set_number(Attrs& a, AttrId id, double value);
/// The double attribute `id` of `a`. Pre: `id` is a double.
double get_number(const Attrs& a, AttrId id);

}  // namespace tl::ir
