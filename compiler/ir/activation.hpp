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
#define TL_ACTIVATION(name, spelling, forward, gradient, reads, keras, params, doc) name,
#include "compiler/ir/activations.def"
#undef TL_ACTIVATION
};

/// Which forward value an activation's gradient op takes with the adjoint g.
enum class GradReads : std::uint8_t { Output, Input };

/// A number an activation takes (leaky_relu's alpha, clip's min and max), or
/// an attribute it always sets (relu6's bounds).
struct ActivationParam {
  AttrId attr;              ///< the forward and gradient ops' attribute that holds it
  std::string_view name;    ///< the script's and the model file's keyword; "" when fixed
  double default_value;     ///< NaN when the script must give it (REQUIRED)
  double minimum;           ///< values below are refused by the checker
  std::string_view what;    ///< "the slope below zero", for messages
  bool fixed = false;       ///< always default_value; the script does not give it

  bool required() const { return default_value != default_value; }
};

struct ActivationInfo {
  Activation kind;
  std::string_view spelling;
  std::optional<OpKind> forward;   ///< none for linear
  std::optional<OpKind> gradient;  ///< (forward value, g) -> dx
  GradReads reads;
  std::string_view keras;
  /// Every parameter, settable and fixed, in table order. A layer keeps one
  /// value per entry (check::Layer::activation_params).
  std::vector<ActivationParam> params;

  /// The parameters the script may give, in order.
  std::vector<const ActivationParam*> settable() const;
  /// Each parameter's default (fixed ones their value; NaN where required).
  std::vector<double> defaults() const;
};

const ActivationInfo& activation_info(Activation a);
/// Every activation, in table order.
const std::vector<ActivationInfo>& activations();
/// The activation spelled `word`, if any.
std::optional<Activation> activation_named(std::string_view word);
/// The activation whose forward op is `op`, if any.
const ActivationInfo* activation_of_op(OpKind op);
/// Sets every parameter's attribute of `a` from `values` (one per
/// info.params entry; fixed ones take their value).
void set_params(Attrs& a, const ActivationInfo& info, const std::vector<double>& values);
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
