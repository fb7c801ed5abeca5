// One data-parallel train step (docs/scale-out.md): every process takes its
// share of the global batch (contiguous rows, split as evenly as possible),
// runs the gradient half of the step on it (lower::StepKind::Gradients:
// dropout drawn for its rows of the whole batch), the shares' gradient sums
// are added over the processes in rank order, and every process applies the
// same update to the same weights (lower::build_apply). The result is the
// one-process step's up to the order of the sums. Batchnorm normalises with
// the whole batch's statistics (as PyTorch's SyncBatchNorm does): each
// process's means are combined inside the step (process_mean), forward and
// backward, so every process keeps the same model. An error on one process
// makes every process's step throw (dist::agree_on_failure).
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/lower/step_graph.hpp"
#include "runtime/data/augment.hpp"
#include "runtime/dist/communicator.hpp"
#include "runtime/train/batch_buffers.hpp"
#include "runtime/train/model_state.hpp"

namespace tl::train {

class StepGraphs;

struct GlobalStep {
  double loss = 0;          ///< mean over the samples read, every process's
  double correct = 0;       ///< samples whose argmax was the label
  std::size_t samples = 0;  ///< read by all processes together
};

/// A step's process_mean ops over a communicator: each process sends its
/// `rows` and rows * x, the sums come back in rank order (dist::
/// sum_in_rank_order), out = sum / rows. Counts its calls, so that a process
/// that runs no rows, or fails before its graph ran them all, can take part
/// in the rest with zero rows (in the graph's order, the order both
/// executors run them in). A failing collective ends the job
/// (Communicator::abort): the processes could not pair their calls again.
class ShardCollectives final : public exec::StepCollectives {
 public:
  ShardCollectives(const dist::Communicator& comm, double rows) : comm_(comm), rows_(rows) {}
  void process_mean(const float* in, float* out, std::size_t n) noexcept override;
  std::size_t calls() const { return calls_; }
  /// This process failed: its remaining calls contribute no rows.
  void withdraw() { rows_ = 0; }

 private:
  const dist::Communicator& comm_;
  double rows_;
  std::size_t calls_ = 0;
};

class DataParallel {
 public:
  explicit DataParallel(const dist::Communicator& comm) : comm_(comm) {}
  /// Runs global batch indices[0, n) as one step; throws like a step does.
  GlobalStep step(exec::Executor& executor, ModelState& state, const data::Dataset& data, const std::uint32_t* indices,
                  std::size_t n, const data::AugmentDraw& draw, const check::TrainConfig& config,
                  exec::StepContext ctx, StepGraphs& graphs, BatchBuffers& buffers);

 private:
  const dist::Communicator& comm_;
  bool initialised_ = false;
  std::vector<std::pair<std::string, ir::Shape>> gradients_;  // the trainable tensors, in the Gradients step's order
  std::optional<lower::StepGraph> apply_;
  std::vector<std::string> statistics_;  // moving statistics a train step updates
  std::vector<std::size_t> collectives_;  // the step's process_means, in graph order: their lengths
};

}  // namespace tl::train
