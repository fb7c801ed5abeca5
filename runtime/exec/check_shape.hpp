// The executors' one check of a bound tensor's shape against its graph node,
// with the message both backends give (tests compare them).
#pragma once

#include <cstddef>
#include <vector>

#include "compiler/ir/graph.hpp"
#include "runtime/tensor.hpp"

namespace tl::exec {

/// Throws std::runtime_error "<what> '<node name>' has shape (..), the graph
/// expects (..)" unless `shape` is node `n`'s shape.
void check_shape(const ir::Shape& shape, const ir::Node& n, const char* what);
void check_shape(const Tensor& t, const ir::Node& n, const char* what);
void check_shape(const std::vector<std::size_t>& shape, const ir::Node& n, const char* what);

}  // namespace tl::exec
