// ONNX protobuf parts -> plain values (see onnx_proto.hpp).
#include "runtime/onnx/onnx_proto.hpp"

#include <cstring>
#include <limits>

namespace tl::onnx_import {

std::int64_t Constant::count() const {
  std::int64_t n = 1;
  for (const std::int64_t d : dims) n *= d;
  return n;
}

namespace {

template <class T>
std::vector<T> raw_values(const std::string& raw, std::int64_t count, const std::string& what) {
  if (raw.size() != static_cast<std::size_t>(count) * sizeof(T))
    throw ImportError(what + " holds " + std::to_string(raw.size()) + " bytes of data for " + std::to_string(count) +
                      " values of " + std::to_string(sizeof(T)) + " bytes");
  std::vector<T> values(static_cast<std::size_t>(count));
  if (count > 0) std::memcpy(values.data(), raw.data(), raw.size());  // ONNX raw data is little-endian, as x86
  return values;
}

template <class T, class Field>
std::vector<T> field_values(const Field& field, std::int64_t count, const std::string& what) {
  if (static_cast<std::int64_t>(field.size()) != count)
    throw ImportError(what + " holds " + std::to_string(field.size()) + " values for dims of " + std::to_string(count));
  return std::vector<T>(field.begin(), field.end());
}

}  // namespace

Constant read_tensor(const onnx::TensorProto& t, const std::string& what) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw ImportError(what + " keeps its data in an external file", "export the model with its weights inside the .onnx file");
  Constant c;
  std::int64_t count = 1;
  for (const std::int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && count > std::numeric_limits<std::int32_t>::max() / d))
      throw ImportError(what + " has dims that are negative or hold more than 2^31 values");
    c.dims.push_back(d);
    count *= d;
  }
  const bool raw = t.has_raw_data();
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      c.floats = raw ? raw_values<float>(t.raw_data(), count, what) : field_values<float>(t.float_data(), count, what);
      return c;
    case onnx::TensorProto::DOUBLE: {
      const std::vector<double> d =
          raw ? raw_values<double>(t.raw_data(), count, what) : field_values<double>(t.double_data(), count, what);
      c.floats.assign(d.begin(), d.end());
      return c;
    }
    case onnx::TensorProto::INT64:
      c.is_float = false;
      c.ints = raw ? raw_values<std::int64_t>(t.raw_data(), count, what)
                   : field_values<std::int64_t>(t.int64_data(), count, what);
      return c;
    case onnx::TensorProto::INT32: {
      c.is_float = false;
      const std::vector<std::int32_t> v =
          raw ? raw_values<std::int32_t>(t.raw_data(), count, what) : field_values<std::int32_t>(t.int32_data(), count, what);
      c.ints.assign(v.begin(), v.end());
      return c;
    }
    default:
      throw ImportError(what + " has element type " + std::to_string(t.data_type()) +
                            ", which tl does not read (FLOAT, DOUBLE, INT64 and INT32 only)",
                        "export the model in float32");
  }
}

Attributes::Attributes(const onnx::NodeProto& node, std::string where) : node_(node), where_(std::move(where)) {}

const onnx::AttributeProto* Attributes::find(const std::string& name) const {
  for (const auto& a : node_.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::int64_t Attributes::integer(const std::string& name, std::int64_t fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INT) throw ImportError(where_ + ": attribute '" + name + "' is not an integer");
  return a->i();
}

float Attributes::real(const std::string& name, float fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::FLOAT) throw ImportError(where_ + ": attribute '" + name + "' is not a float");
  return a->f();
}

std::string Attributes::text(const std::string& name, const std::string& fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::STRING) throw ImportError(where_ + ": attribute '" + name + "' is not a string");
  return a->s();
}

std::vector<std::int64_t> Attributes::integers(const std::string& name, std::vector<std::int64_t> fallback) const {
  const auto* a = find(name);
  if (!a) return fallback;
  if (a->type() != onnx::AttributeProto::INTS) throw ImportError(where_ + ": attribute '" + name + "' is not a list of integers");
  return std::vector<std::int64_t>(a->ints().begin(), a->ints().end());
}

const onnx::TensorProto* Attributes::tensor(const std::string& name) const {
  const auto* a = find(name);
  if (!a) return nullptr;
  if (a->type() != onnx::AttributeProto::TENSOR) throw ImportError(where_ + ": attribute '" + name + "' is not a tensor");
  return &a->t();
}

std::vector<std::string> Attributes::names() const {
  std::vector<std::string> out;
  for (const auto& a : node_.attribute()) out.push_back(a.name());
  return out;
}

}  // namespace tl::onnx_import
