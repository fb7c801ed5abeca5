// Reading the parts of an ONNX protobuf (onnx::ModelProto from Debian's
// libonnx-dev) that the importer needs: constant tensors as floats or
// integers, node attributes with their defaults, and value shapes. Every
// malformed part is an ImportError naming the node or tensor.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace tl::onnx_import {

/// What is wrong with a file, in the words of its graph ("node '/fc/Gemm'
/// (Gemm): ..."), and what to do.
class ImportError : public std::runtime_error {
 public:
  ImportError(const std::string& message, std::string hint = {}) : std::runtime_error(message), hint_(std::move(hint)) {}
  const std::string& hint() const { return hint_; }

 private:
  std::string hint_;
};

/// A constant: an initializer, a Constant node's value, or an Identity of one.
struct Constant {
  std::vector<std::int64_t> dims;
  std::vector<float> floats;       // FLOAT (and DOUBLE, narrowed) tensors
  std::vector<std::int64_t> ints;  // INT64 / INT32 tensors
  bool is_float = true;
  std::int64_t count() const;
};

/// The values of `t`; `what` names it in errors. Refuses external data and
/// types other than FLOAT, DOUBLE, INT64 and INT32, and sizes that disagree
/// with the dims.
Constant read_tensor(const onnx::TensorProto& t, const std::string& what);

/// A node's attributes by name, with the node named in errors.
class Attributes {
 public:
  Attributes(const onnx::NodeProto& node, std::string where);
  bool has(const std::string& name) const { return find(name) != nullptr; }
  std::int64_t integer(const std::string& name, std::int64_t fallback) const;
  float real(const std::string& name, float fallback) const;
  std::string text(const std::string& name, const std::string& fallback) const;
  std::vector<std::int64_t> integers(const std::string& name, std::vector<std::int64_t> fallback) const;
  const onnx::TensorProto* tensor(const std::string& name) const;
  /// Every attribute name, for refusing the ones a mapping does not know.
  std::vector<std::string> names() const;

 private:
  const onnx::AttributeProto* find(const std::string& name) const;
  const onnx::NodeProto& node_;
  std::string where_;
};

}  // namespace tl::onnx_import
