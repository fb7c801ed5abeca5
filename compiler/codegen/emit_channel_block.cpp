// Kernels rooted at a ChannelBlock op (concat, slice_channels, pad_channels):
// row by row of channels, each block a contiguous run copied as vectors (the
// last one masked), and a pad's other channels zeroed. Nothing fuses into
// them: they only move values.
#include "compiler/codegen/kernel_frame.hpp"
#include "compiler/codegen/op_traits.hpp"

namespace tl::codegen {

namespace {

struct Block {
  ir::NodeId source;       ///< the node read
  std::int64_t channels;   ///< its channels per row
  std::int64_t from;       ///< first channel read
  std::int64_t to;         ///< first channel written
  std::int64_t count;      ///< channels moved
};

}  // namespace

void emit_channel_block(KernelFrame& f, RowRange rows) {
  Emitter& e = f.e;
  const ir::Node& n = f.node(f.kernel.nodes.front());
  const std::int64_t C = n.shape.back();
  const std::int64_t lead = n.shape.size() >= 2 ? n.shape[0] : 1;
  const std::int64_t per_lead = ir::element_count(n.shape) / (lead * C);  // rows of channels per split row
  llvm::Value* out = f.ptr(f.kernel.nodes.front());
  auto channels_of = [&](std::size_t i) { return f.shape(n.inputs[i]).back(); };
  std::vector<Block> blocks;
  std::vector<std::pair<std::int64_t, std::int64_t>> zeros;  // [first, last) channels set to 0
  switch (ir::sub_op<ir::ChannelBlockOp>(n.op)) {
    case ir::ChannelBlockOp::Concat:
      blocks.push_back({n.inputs[0], channels_of(0), 0, 0, channels_of(0)});
      blocks.push_back({n.inputs[1], channels_of(1), 0, channels_of(0), channels_of(1)});
      break;
    case ir::ChannelBlockOp::SliceChannels:
      blocks.push_back({n.inputs[0], channels_of(0), n.attrs.offset, 0, C});
      break;
    case ir::ChannelBlockOp::PadChannels:
      blocks.push_back({n.inputs[0], channels_of(0), 0, n.attrs.offset, channels_of(0)});
      zeros = {{0, n.attrs.offset}, {n.attrs.offset + channels_of(0), C}};
      break;
  }
  const int W = e.width;
  e.loop(e.mul(rows.first, per_lead), e.mul(rows.last, per_lead), [&](llvm::Value* r) {
    llvm::Value* row = e.mul(r, C);
    for (const auto& [first, last] : zeros) {
      if (first >= last) continue;
      e.vector_loop(e.c64(0), e.c64(last - first), (last - first) % W == 0, [&](llvm::Value* i, llvm::Value* mask) {
        e.vstore(e.splat(e.cf(0.0f), W), out, e.add(e.add(row, first), i), mask);
      });
    }
    for (const Block& b : blocks) {
      llvm::Value* source_row = e.add(e.mul(r, b.channels), b.from);
      llvm::Value* target_row = e.add(row, b.to);
      e.vector_loop(e.c64(0), e.c64(b.count), b.count % W == 0, [&](llvm::Value* i, llvm::Value* mask) {
        e.vstore(f.element(b.source, e.add(source_row, i), W, mask), out, e.add(target_row, i), mask);
      });
    }
  });
}

}  // namespace tl::codegen
