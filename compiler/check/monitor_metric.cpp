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

std::optional<MonitorMetric> monitor_metric_named(const std::string& name) {
  for (MonitorMetric m : {MonitorMetric::Loss, MonitorMetric::Accuracy, MonitorMetric::ValLoss, MonitorMetric::ValAccuracy})
    if (name == metric_name(m)) return m;
  return std::nullopt;
}

bool lower_is_better(MonitorMetric m) { return m == MonitorMetric::Loss || m == MonitorMetric::ValLoss; }

bool needs_validation(MonitorMetric m) { return m == MonitorMetric::ValLoss || m == MonitorMetric::ValAccuracy; }

}  // namespace tl::check
