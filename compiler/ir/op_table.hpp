// Everything expanded from ops.def: the OpKind enum, the categories, one enum
// per category holding that category's ops (UnaryOp, PoolOp, ...), and each
// op's row (arity, spelling, category, attributes, FLOPs per element).
//
// A pass switches on category(op) and, where ops of a category differ, on
// sub_op<UnaryOp>(op) and the like. Both switches are exhaustive without a
// `default` (tl builds with -Werror=switch), so a new op is a compile error in
// exactly the places that must handle it: a new category everywhere, a new op
// of an existing category only where that category's ops are told apart.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "compiler/ir/attrs.hpp"

namespace tl::ir {

enum class OpKind : std::uint8_t {
#define TL_OP(name, arity, spelling, attrs, flops, doc) name,
#include "compiler/ir/ops.def"
#undef TL_OP
};

enum class OpCategory : std::uint8_t {
#define TL_CATEGORY(name, doc) name,
#define TL_OP(name, arity, spelling, attrs, flops, doc)
#include "compiler/ir/ops.def"
#undef TL_OP
#undef TL_CATEGORY
};

// One enum per category, named <Category>Op, with that category's ops in
// table order: `enum class UnaryOp { Neg, Square, ... }`. Each TL_CATEGORY
// closes the previous enum and opens its own; OpTableBegin is the empty enum
// before the first category.
enum class OpTableBegin : std::uint8_t {
#define TL_CATEGORY(name, doc) \
  }                            \
  ;                            \
  enum class name##Op : std::uint8_t {
#define TL_OP(name, arity, spelling, attrs, flops, doc) name,
#include "compiler/ir/ops.def"
#undef TL_OP
#undef TL_CATEGORY
};

/// One row of ops.def.
struct OpInfo {
  int arity = 0;
  std::string_view spelling;
  OpCategory category{};
  AttrSet attrs = 0;      ///< the attributes the op reads
  int flops = 0;          ///< per output element (elementwise categories)
  std::uint8_t index = 0; ///< position within its category: the value of its <Category>Op
};

inline constexpr std::size_t op_count = 0
#define TL_OP(name, arity, spelling, attrs, flops, doc) +1
#include "compiler/ir/ops.def"
#undef TL_OP
    ;

inline constexpr std::array<OpInfo, op_count> op_table = [] {
  std::array<OpInfo, op_count> rows{};
  OpCategory current{};
  std::size_t i = 0;
  std::uint8_t index = 0;
#define A(name) attr_bit(AttrId::name)
#define STRIDES (A(stride_h) | A(stride_w) | A(padding) | A(pad_top) | A(pad_bottom) | A(pad_left) | A(pad_right))
#define WINDOW (A(window_h) | A(window_w) | STRIDES)
#define DILATION (A(dilation_h) | A(dilation_w))
#define TL_CATEGORY(name, doc) \
  current = OpCategory::name;  \
  index = 0;
#define TL_OP(name, arity_, spelling_, attrs_, flops_, doc) \
  rows[i++] = OpInfo{arity_, spelling_, current, static_cast<AttrSet>(attrs_), flops_, index++};
#include "compiler/ir/ops.def"
#undef TL_OP
#undef TL_CATEGORY
#undef WINDOW
#undef DILATION
#undef STRIDES
#undef A
  return rows;
}();

constexpr const OpInfo& op_info(OpKind op) { return op_table[static_cast<std::size_t>(op)]; }
/// Number of graph inputs an op takes.
constexpr int arity(OpKind op) { return op_info(op).arity; }
/// The op's spelling in dumps ("conv2d", "adam_update", ...).
constexpr std::string_view spelling(OpKind op) { return op_info(op).spelling; }
constexpr OpCategory category(OpKind op) { return op_info(op).category; }
/// The category's name ("Unary", "Pool").
std::string_view category_name(OpCategory category);

/// The category each <Category>Op enum belongs to.
template <class Sub>
struct CategoryOf;
#define TL_CATEGORY(name, doc)                                      \
  template <>                                                       \
  struct CategoryOf<name##Op> {                                     \
    static constexpr OpCategory value = OpCategory::name;           \
  };
#define TL_OP(name, arity, spelling, attrs, flops, doc)
#include "compiler/ir/ops.def"
#undef TL_OP
#undef TL_CATEGORY

/// `op` as a member of its category's enum: sub_op<PoolOp>(OpKind::AvgPool2D)
/// is PoolOp::AvgPool2D. Throws std::logic_error when `op` is of another
/// category (a compiler bug).
template <class Sub>
Sub sub_op(OpKind op) {
  const OpInfo& info = op_info(op);
  if (info.category != CategoryOf<Sub>::value)
    throw std::logic_error("sub_op: " + std::string(info.spelling) + " is not of category " +
                           std::string(category_name(CategoryOf<Sub>::value)));
  return static_cast<Sub>(info.index);
}

/// `op` as a member of Sub's category, or nothing when it is of another:
/// `if (const auto p = as_op<PoolOp>(op)) switch (*p) { ... }`.
template <class Sub>
std::optional<Sub> as_op(OpKind op) {
  const OpInfo& info = op_info(op);
  if (info.category != CategoryOf<Sub>::value) return std::nullopt;
  return static_cast<Sub>(info.index);
}

/// True for the categories whose value at an element depends only on the
/// inputs at that element (or its channel, for a per-channel operand):
/// Unary, Binary, ActivationGrad, ChannelBinary.
bool is_elementwise(OpKind op);
/// True for the Update category (writes a Param/State after the step).
bool is_update(OpKind op);

}  // namespace tl::ir
