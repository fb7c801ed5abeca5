// Spellings, text and key words of attribute values (see attrs.hpp).
#include "compiler/ir/attrs.hpp"

#include <fmt/format.h>

namespace tl::ir {

const char* attr_name(AttrId id) {
  switch (id) {
#define TL_ATTR(type, name, init, doc) \
  case AttrId::name:                   \
    return #name;
#include "compiler/ir/attrs.def"
#undef TL_ATTR
  }
  return "?";
}

std::string attr_text(int v) { return std::to_string(v); }
std::string attr_text(bool v) { return v ? "true" : "false"; }
std::string attr_text(double v) { return fmt::format("{}", v); }
std::string attr_text(std::uint64_t v) { return fmt::format("{:#x}", v); }
std::string attr_text(Padding v) {
  switch (v) {
    case Padding::Valid: return "valid";
    case Padding::Same: return "same";
    case Padding::Explicit: return "explicit";
  }
  return "?";
}
std::string attr_text(InputRole v) {
  switch (v) {
    case InputRole::Images: return "images";
    case InputRole::Labels: return "labels";
  }
  return "?";
}

}  // namespace tl::ir
