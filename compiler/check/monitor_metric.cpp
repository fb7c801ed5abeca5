// The figures a training can watch (experiment.hpp's MonitorMetric).
#include "compiler/check/experiment.hpp"

namespace tl::check {

const char* metric_name(MonitorMetric m) {
  switch (m) {
    case MonitorMetric::Loss: return "loss";
    case MonitorMetric::Accuracy: return "accuracy";
    case MonitorMetric::ValLoss: return "val_loss";
    case MonitorMetric::ValAccuracy: return "val_accuracy";
  }
  return "?";
}

bool lower_is_better(MonitorMetric m) { return m == MonitorMetric::Loss || m == MonitorMetric::ValLoss; }

}  // namespace tl::check
