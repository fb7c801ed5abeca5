// The ONNX importer's state (see onnx_import.hpp), shared by its two halves:
// onnx_import.cpp reads the graph's frame (opset, input, names, constants,
// windows) and onnx_operators.cpp maps each operator family to layers.
// `Value` tracks, for every tensor of the graph, the tl layer that produces
// it and the shape ONNX gives it (without the batch).
//
// Layouts: ONNX is NCHW, tl NHWC. An image value (C,H,W) is the tl layer
// output (H,W,C). A global pool's (C,1,1) is tl's flat (C) (`spatial_one`):
// a Flatten of it is the same tensor, a 1x1 Conv on it is a dense layer, and
// multiplying an image by it scales the image's channels. A Flatten of a
// (C,H,W) image with C > 1 and H*W > 1 orders its elements (h,w,c) in tl and
// (c,h,w) in ONNX, so the Gemm (or MatMul) that reads it gets its weight rows
// permuted; nothing else may read such a value.
#pragma once

#include <onnx/onnx_pb.h>

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runtime/io/model_file.hpp"
#include "runtime/onnx/onnx_proto.hpp"

namespace tl::onnx_import::detail {

using check::Layer;
using check::LayerKind;

struct Value {
  int layer = -1;
  std::vector<std::int64_t> shape;  // ONNX's, without the batch: (C,H,W) or (F)
  bool spatial_one = false;         // (C,1,1) held as tl's flat (C)
  std::optional<std::array<std::int64_t, 3>> flattened;  // (C,H,W) flattened in tl's (h,w,c) order
  std::array<int, 4> zero_pad{};  // a Pad's zeros (top, bottom, left, right) not yet applied: the next conv or average pool takes them
  bool padded() const { return zero_pad != std::array<int, 4>{}; }
};

/// `name` as a tl identifier: letters, digits and '_', not starting with a
/// digit ("/layer1/layer1.0/conv1/Conv" -> "layer1_layer1_0_conv1_Conv").
std::string identifier(const std::string& name);

/// The ONNX operators tl maps, sorted.
const std::vector<std::string>& ops();

class Importer {
 public:
  explicit Importer(const onnx::ModelProto& model) : model_(model) {}

  io::LoadedModel run();

 private:
  // --- the graph's frame ------------------------------------------------------

  int opset() const;

  void input(const onnx::GraphProto& g);

  // --- helpers ----------------------------------------------------------------

  static std::string shape_text(const std::array<std::int64_t, 3>& s);
  static std::string shape_text(const std::vector<std::int64_t>& s);

  std::string where(const onnx::NodeProto& n) const { return "node '" + n.name() + "' (" + n.op_type() + ")"; }

  const Value& value(const std::string& name, const std::string& what) const;

  const Value& input_value(const onnx::NodeProto& n, int i) const;

  const Constant* constant(const onnx::NodeProto& n, int i) const;

  const Constant& weight(const onnx::NodeProto& n, int i, const std::string& what) const;

  void only_attributes(const onnx::NodeProto& n, const std::set<std::string>& known) const;

  /// No other node (nor the graph) reads outputs past the first.
  void single_output(const onnx::NodeProto& n) const;

  std::string unique_name(const std::string& raw);

  int add(Layer l, std::vector<int> inputs, const std::string& raw_name);

  static Tensor tensor(const ir::Shape& shape);

  /// Records node output 0 as `v`.
  void produce(const onnx::NodeProto& n, Value v);

  std::string layer_name(const onnx::NodeProto& n, int index) const;

  // --- windows ------------------------------------------------------------------

  struct Window {
    int kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;  // dh, dw: dilations
    ir::Padding padding = ir::Padding::Valid;
    std::array<int, 4> pads{};  // top, bottom, left, right
  };

  /// kernel_shape, strides, pads / auto_pad and dilations of a 2-D window op.
  Window window(const onnx::NodeProto& n, const Attributes& a, std::optional<std::array<std::int64_t, 2>> kernel) const;

  /// Output (C',H',W') of a window over image `in` (C,H,W).
  static std::pair<std::int64_t, std::int64_t> slide(const Window& w, std::int64_t h, std::int64_t wd);

  void set_window(Layer& l, const Window& w) const;

  const Value& image(const onnx::NodeProto& n) const;

  // --- operators ----------------------------------------------------------------

  void node(const onnx::NodeProto& n, int index);

  void constant_node(const onnx::NodeProto& n);

  void identity(const onnx::NodeProto& n);

  /// Cast of a constant (exporters cast clip bounds): folded.
  void cast(const onnx::NodeProto& n);

  /// Pad: zeros around an image's rows and columns. PyTorch writes one before
  /// an average pool that counts its padding; the conv or average pool that
  /// reads it takes the cells as its own padding (zero padding is what a
  /// conv pads with; an average over them counts them). Other padding, and
  /// padded values read by anything else, are refused.
  void pad(const onnx::NodeProto& n);

  /// image(n), possibly carrying a Pad's zeros (for conv and pool).
  const Value& padded_image(const onnx::NodeProto& n) const;

  /// Adds a Pad's zeros to a window's padding; `what` names the reader in errors.
  void take_zero_pad(const onnx::NodeProto& n, const Value& x, Window& w) const;

  void conv(const onnx::NodeProto& n, const std::string& name);

  std::pair<std::int64_t, std::int64_t> checked_slide(const onnx::NodeProto& n, const Window& w, std::int64_t h,
                                                       std::int64_t wd) const;

  static Tensor vector_tensor(const std::vector<float>& v);

  void batchnorm(const onnx::NodeProto& n, const std::string& name);

  void pool(const onnx::NodeProto& n, const std::string& name);

  void global_pool(const onnx::NodeProto& n, const std::string& name);

  void flatten(const onnx::NodeProto& n, const std::string& name);

  void dense(const onnx::NodeProto& n, const std::string& name);

  /// A dense layer from weight `w`: (in, out) when `rows_are_inputs`, else
  /// (out, in) (Gemm's transB, a 1x1 Conv's (O, I, 1, 1)). `flattened`: the
  /// input is a Flatten of that (C,H,W) image, so row (c,h,w) moves to (h,w,c).
  void dense_from(const onnx::NodeProto& n, const std::string& name, const Value& x, const Constant& w, const Constant* bias,
                  bool rows_are_inputs, std::optional<std::array<std::int64_t, 3>> flattened, float alpha = 1,
                  float beta = 1);

  void merge(const onnx::NodeProto& n, const std::string& name);

  /// Concat along the channels (axis 1) of images, of (C,1,1) values or of flat features.
  void concat(const onnx::NodeProto& n, const std::string& name);

  void dropout(const onnx::NodeProto& n, const std::string& name);

  void activation(const onnx::NodeProto& n, const std::string& name);

  const onnx::ModelProto& model_;
  int opset_ = 0;
  std::map<std::string, Constant> constants_;
  std::map<std::string, Value> values_;
  std::set<std::string> used_, names_;
  io::LoadedModel loaded_;
};

}  // namespace tl::onnx_import::detail
