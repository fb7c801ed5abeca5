// Kernels rooted at an elementwise op, a fill, a channel broadcast or a
// dropout mask: one vector pass over the thread's rows, the root's values
// going through the kernel's epilogue chain. Rows of channels are walked
// channel-vector by channel-vector when a member needs the channel index
// (bias, per-channel scale, broadcast), else as one flat run.
#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"

#include <stdexcept>

namespace tl::codegen {

using ir::OpKind;

namespace {

/// The root's value at [flat, flat + lanes) (channel `channel` first).
llvm::Value* root_value(KernelFrame& f, const ir::Node& n, llvm::Value* flat, llvm::Value* channel, int lanes,
                        llvm::Value* mask) {
  Emitter& e = f.e;
  auto at = [&](std::size_t i, llvm::Value* index) { return f.element(n.inputs[i], index, lanes, mask); };
  const ir::OpCategory root = category(n.op);
  if (root == ir::OpCategory::Generator) return generated_values(f, n, flat, lanes);
  if (root == ir::OpCategory::ChannelBroadcast) {
    switch (ir::sub_op<ir::ChannelBroadcastOp>(n.op)) {
      case ir::ChannelBroadcastOp::ChannelBroadcast: return at(0, channel);
      case ir::ChannelBroadcastOp::ChannelSpread: return e.b.CreateFMul(at(0, channel), spread_factor(f, f.kernel.nodes.front(), lanes));
    }
  }
  if (root == ir::OpCategory::ChannelBinary) return elementwise_value(e, n, at(0, flat), at(1, channel));
  if (ir::is_elementwise(n.op)) return elementwise_value(e, n, at(0, flat), n.inputs.size() > 1 ? at(1, flat) : nullptr);
  throw std::logic_error("emit_elementwise: " + std::string(ir::spelling(n.op)) + " is not an elementwise root");
}

}  // namespace

void emit_elementwise(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const std::int64_t count = ir::element_count(n.shape);
  const std::int64_t channels = n.shape.empty() ? 1 : n.shape.back();
  const std::int64_t row = count / leading(n.shape);  // elements per split row
  const int W = e.width;
  Epilogue epilogue(f);
  llvm::Value* first = e.mul(rows.first, row);
  llvm::Value* last = e.mul(rows.last, row);

  const ir::OpCategory root = category(n.op);
  if (epilogue.per_channel() || root == ir::OpCategory::ChannelBinary || root == ir::OpCategory::ChannelBroadcast) {
    // Rows of C channels, each as vectors of W channels (the last one masked).
    e.loop(e.b.CreateSDiv(first, e.c64(channels)), e.b.CreateSDiv(last, e.c64(channels)), [&](llvm::Value* r) {
      for (std::int64_t c0 = 0; c0 < channels; c0 += W) {
        const std::int64_t active = std::min<std::int64_t>(W, channels - c0);
        const int lanes = channels == 1 ? 1 : W;
        llvm::Value* mask = lanes > 1 && active < W ? e.first_lanes(W, active) : nullptr;
        llvm::Value* flat = e.mad(r, channels, e.c64(c0));
        epilogue.finish(root_value(f, n, flat, e.c64(c0), lanes, mask), flat, e.c64(c0), mask);
      }
    });
    epilogue.close();
    return;
  }
  // One flat run of vectors, the last one masked.
  e.vector_loop(first, last, row % W == 0, [&](llvm::Value* flat, llvm::Value* mask) {
    epilogue.finish(root_value(f, n, flat, e.c64(0), W, mask), flat, e.c64(0), mask);
  });
}

}  // namespace tl::codegen
