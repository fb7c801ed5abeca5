// Shape checks of bound tensors (see check_shape.hpp).
#include "runtime/exec/check_shape.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace tl::exec {

void check_shape(const ir::Shape& shape, const ir::Node& n, const char* what) {
  if (shape != n.shape)
    throw std::runtime_error(fmt::format("{} '{}' has shape {}, the graph expects {}", what, n.name,
                                         ir::to_string(shape), ir::to_string(n.shape)));
}

void check_shape(const Tensor& t, const ir::Node& n, const char* what) {
  check_shape(ir::Shape(t.shape().begin(), t.shape().end()), n, what);
}

void check_shape(const std::vector<std::size_t>& shape, const ir::Node& n, const char* what) {
  check_shape(ir::Shape(shape.begin(), shape.end()), n, what);
}

}  // namespace tl::exec
