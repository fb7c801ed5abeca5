// Graph-node attributes, expanded from attrs.def: the Attrs struct with its
// defaults and equality, an id per attribute, and the generic walks that the
// printer and the cache key use.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <type_traits>

namespace tl::ir {

enum class Padding : std::uint8_t { Valid, Same, Explicit };
enum class InputRole : std::uint8_t { Images, Labels };

/// Attributes used by some ops; which ops read which is ops.def's `attrs` column.
struct Attrs {
#define TL_ATTR(type, name, init, doc) type name = init;
#include "compiler/ir/attrs.def"
#undef TL_ATTR
  bool operator==(const Attrs&) const = default;
};

enum class AttrId : std::uint8_t {
#define TL_ATTR(type, name, init, doc) name,
#include "compiler/ir/attrs.def"
#undef TL_ATTR
};

/// A set of attributes, one bit per AttrId.
using AttrSet = std::uint32_t;
constexpr AttrSet attr_bit(AttrId id) { return AttrSet{1} << static_cast<unsigned>(id); }

/// The attribute's spelling in dumps ("stride_h").
const char* attr_name(AttrId id);

/// Calls f(AttrId, value) for every attribute, in declaration order.
template <class F>
void for_each_attr(const Attrs& a, F&& f) {
#define TL_ATTR(type, name, init, doc) f(AttrId::name, a.name);
#include "compiler/ir/attrs.def"
#undef TL_ATTR
}

/// Calls f(AttrId, value&) for every attribute, in declaration order.
template <class F>
void for_each_attr(Attrs& a, F&& f) {
#define TL_ATTR(type, name, init, doc) f(AttrId::name, a.name);
#include "compiler/ir/attrs.def"
#undef TL_ATTR
}

/// The value as text ("0.01", "same", "true", "0x1f").
std::string attr_text(int v);
std::string attr_text(bool v);
std::string attr_text(double v);
std::string attr_text(std::uint64_t v);
std::string attr_text(Padding v);
std::string attr_text(InputRole v);

/// The value as one 64-bit word of the cache key: a double by its bits, every
/// other attribute type (integers, bools, enums) by its value.
template <class T>
std::uint64_t attr_word(T v) {
  if constexpr (std::is_same_v<T, double>)
    return std::bit_cast<std::uint64_t>(v);
  else
    return static_cast<std::uint64_t>(v);
}

}  // namespace tl::ir
