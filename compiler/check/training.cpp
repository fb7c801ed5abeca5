// Checking train and evaluate steps: their settings (optimizer, loss, batch,
// epochs, shuffle, seed, validation) and whether the model fits the data.
#include <algorithm>

#include <fmt/format.h>

#include "compiler/check/checker_state.hpp"

namespace tl::check {

namespace {

/// A weight decay's value: in [0, 1).
double decay_value(const ast::Expr& v, const char* what) {
  const double x = number(v, nullptr, what);
  if (!(x >= 0 && x < 1)) fail(where(v), std::string(what) + " must be in [0, 1), not " + describe(v), "typical values are 1e-4 to 0.1");
  return x;
}

/// `adam(weight_decay = ...)` means L2 in PyTorch and a decoupled decay in
/// Keras 3: refused, pointing at the two unambiguous spellings.
void refuse_ambiguous_decay(const ast::Call& call, const std::string& name) {
  for (const ast::Arg& a : call.args)
    if (a.keyword && a.keyword->text == "weight_decay")
      fail(*a.keyword, name + "() has no weight_decay: PyTorch reads it as an L2 penalty, Keras 3 as a decoupled decay",
           "write the training setting `weight_decay " + describe(a.value) + "` (decoupled, as AdamW), or `l2 " +
               describe(a.value) + "` (added to the gradient, as PyTorch's " + name + "), or use optimizer adamw(weight_decay = " +
               describe(a.value) + ")");
}

/// `adam`, `adam(lr = 1e-3, ...)`, `adamw(..., weight_decay = 0.01)`,
/// `sgd(lr = 0.01, momentum = 0.9, nesterov = true)`.
ir::OptimizerSpec optimizer(const ast::Expr& e) {
  ir::OptimizerSpec spec;
  const ast::Call* call = as_call(e);
  const std::string name = call ? call->callee.text : bare_word(e);
  if (name == "adam" || name == "adamw") {
    spec.kind = ir::OptimizerSpec::Kind::Adam;
    if (name == "adamw") spec.weight_decay = 0.01;  // PyTorch's AdamW default
    if (call) {
      if (name == "adam") refuse_ambiguous_decay(*call, name);
      std::vector<Formal> formals = {{"lr"}, {"beta1"}, {"beta2"}, {"epsilon"}};
      if (name == "adamw") formals.push_back({"weight_decay"});
      const BoundArgs args(*call, formals, name + "()");
      if (name == "adamw" && args.slot(4)) spec.weight_decay = decay_value(*args.slot(4), "weight_decay");
      if (args.slot(0)) spec.lr = number(*args.slot(0), nullptr, "learning rate");
      if (args.slot(1)) spec.beta1 = number(*args.slot(1), nullptr, "beta1");
      if (args.slot(2)) spec.beta2 = number(*args.slot(2), nullptr, "beta2");
      if (args.slot(3)) spec.eps = number(*args.slot(3), nullptr, "epsilon");
      if (!(spec.beta1 >= 0 && spec.beta1 < 1)) fail(where(*args.slot(1)), "beta1 must be in [0, 1)");
      if (!(spec.beta2 >= 0 && spec.beta2 < 1)) fail(where(*args.slot(2)), "beta2 must be in [0, 1)");
      if (!(spec.eps > 0)) fail(where(*args.slot(3)), "epsilon must be positive");
      if (!(spec.lr > 0)) fail(where(*args.slot(0)), "the learning rate must be positive", "Keras' default is 0.001");
    }
  } else if (name == "sgd") {
    spec.kind = ir::OptimizerSpec::Kind::Sgd;
    spec.lr = 0.01;  // Keras' SGD default
    if (call) {
      refuse_ambiguous_decay(*call, name);
      const BoundArgs args(*call, {{"lr"}, {"momentum"}, {"nesterov"}}, "sgd()");
      if (args.slot(0)) spec.lr = number(*args.slot(0), nullptr, "learning rate");
      if (args.slot(1)) spec.momentum = number(*args.slot(1), nullptr, "momentum");
      if (args.slot(2)) spec.nesterov = boolean(*args.slot(2), nullptr, "nesterov");
      if (!(spec.lr > 0)) fail(where(*args.slot(0)), "the learning rate must be positive");
      if (!(spec.momentum >= 0 && spec.momentum < 1)) fail(where(*args.slot(1)), "momentum must be in [0, 1)");
    }
  } else {
    fail(where(e), "unknown optimizer '" + describe(e) + "'", "use adam, adamw or sgd, e.g. optimizer adam(lr = 0.001)");
  }
  return spec;
}

/// `step(every = 3, gamma = 0.5)`, `exponential(gamma = 0.9)`,
/// `cosine(warmup = 1, min = 0)`, `plateau(factor = 0.5, patience = 2)`, `constant`.
LrSchedule schedule(const ast::Expr& e, int epochs) {
  LrSchedule s;
  const ast::Call* call = as_call(e);
  const std::string name = call ? call->callee.text : bare_word(e);
  auto positive = [](const ast::Expr& v, const char* what) {
    const double x = number(v, nullptr, what);
    if (!(x > 0 && x <= 1)) fail(where(v), std::string(what) + " must be in (0, 1], not " + describe(v));
    return x;
  };
  using Kind = LrSchedule::Kind;
  if (name == "constant") {
    if (call) BoundArgs(*call, {}, "constant()");
  } else if (name == "step") {
    s.kind = Kind::Step;
    if (!call) fail(where(e), "step needs its period: schedule step(every = 3, gamma = 0.5)");
    const BoundArgs args(*call, {{"every"}, {"gamma"}}, "step()");
    if (!args.slot(0)) fail(where(e), "step needs every = N (epochs between decays)");
    const std::int64_t every = at_least(*args.slot(0), nullptr, "every", 1);
    if (every >= epochs)
      fail(where(*args.slot(0)), fmt::format("every {} epochs, in a training of {}: the rate would never change", every, epochs),
           fmt::format("decay more often than every {} epochs, or leave the schedule out", epochs));
    s.every = static_cast<int>(every);
    if (args.slot(1)) s.gamma = positive(*args.slot(1), "gamma");
  } else if (name == "exponential") {
    s.kind = Kind::Exponential;
    if (!call) fail(where(e), "exponential needs its factor: schedule exponential(gamma = 0.9)");
    const BoundArgs args(*call, {{"gamma"}}, "exponential()");
    if (!args.slot(0)) fail(where(e), "exponential needs gamma = G (the factor per epoch)");
    s.gamma = positive(*args.slot(0), "gamma");
  } else if (name == "cosine") {
    s.kind = Kind::Cosine;
    if (call) {
      const BoundArgs args(*call, {{"warmup"}, {"min"}}, "cosine()");
      if (args.slot(0)) {
        const std::int64_t warmup = at_least(*args.slot(0), nullptr, "warmup", 0);
        if (warmup >= epochs)
          fail(where(*args.slot(0)), fmt::format("a warmup of {} epochs leaves none of the {} to decay over", warmup, epochs),
               "warm up for fewer epochs than the training has");
        s.warmup = static_cast<int>(warmup);
      }
      if (args.slot(1)) {
        s.min_factor = number(*args.slot(1), nullptr, "min");
        if (!(s.min_factor >= 0 && s.min_factor < 1)) fail(where(*args.slot(1)), "min must be in [0, 1): a fraction of the learning rate");
      }
    }
  } else if (name == "plateau") {
    s.kind = Kind::Plateau;
    if (call) {
      const BoundArgs args(*call, {{"factor"}, {"patience"}}, "plateau()");
      if (args.slot(0)) {
        s.factor = number(*args.slot(0), nullptr, "factor");
        if (!(s.factor > 0 && s.factor < 1)) fail(where(*args.slot(0)), "factor must be in (0, 1), not " + describe(*args.slot(0)));
      }
      if (args.slot(1)) {
        const std::int64_t patience = at_least(*args.slot(1), nullptr, "patience", 1);
        if (patience > 100000) fail(where(*args.slot(1)), "patience must be at most 100000 epochs");
        s.patience = static_cast<int>(patience);
      }
    }
  } else {
    const std::string best = closest(name, {"constant", "step", "exponential", "cosine", "plateau"});
    fail(where(e), "unknown schedule '" + describe(e) + "'",
         (best.empty() ? "" : "did you mean '" + best + "'? ") +
             "schedules: constant, step(every, gamma), exponential(gamma), cosine(warmup, min), plateau(factor, patience)");
  }
  return s;
}

/// `val_loss`, `val_accuracy`, `loss`, `accuracy`.
MonitorMetric monitor_metric(const ast::Expr& e) {
  const ast::Call* call = as_call(e);
  const std::string name = call ? call->callee.text : bare_word(e);
  if (const auto m = monitor_metric_named(name)) return *m;
  const std::string best = closest(name, {"loss", "accuracy", "val_loss", "val_accuracy"});
  fail(where(e), "'" + describe(e) + "' is not a figure a training can watch",
       (best.empty() ? "" : "did you mean '" + best + "'? ") + "watch val_loss, val_accuracy, loss or accuracy");
}

/// `val_loss`, `val_accuracy(patience = 3, min_delta = 0.001, restore_best = false)`.
EarlyStop early_stop(const ast::Expr& e) {
  EarlyStop stop;
  stop.monitor = monitor_metric(e);
  if (const ast::Call* call = as_call(e)) {
    const BoundArgs args(*call, {{"patience"}, {"min_delta"}, {"restore_best"}}, call->callee.text + "()");
    if (args.slot(0)) {
      const std::int64_t patience = at_least(*args.slot(0), nullptr, "patience", 1);
      if (patience > 100000) fail(where(*args.slot(0)), "patience must be at most 100000 epochs");
      stop.patience = static_cast<int>(patience);
    }
    if (args.slot(1)) {
      stop.min_delta = number(*args.slot(1), nullptr, "min_delta");
      if (!(stop.min_delta >= 0 && stop.min_delta < 1e30))
        fail(where(*args.slot(1)), "min_delta must be 0 or more: the least change that counts as an improvement");
    }
    if (args.slot(2)) stop.restore_best = boolean(*args.slot(2), nullptr, "restore_best");
  }
  return stop;
}

LossSpec loss(const ast::Expr& e) {
  LossSpec spec;
  const ast::Call* call = as_call(e);
  const std::string name = call ? call->callee.text : bare_word(e);
  if (name != "sparse_categorical_crossentropy")
    fail(where(e), "unknown loss '" + describe(e) + "'", "tl has sparse_categorical_crossentropy");
  if (call) {
    const BoundArgs args(*call, {{"from_logits"}, {"label_smoothing"}}, name + "()");
    if (args.slot(0)) spec.from_logits = boolean(*args.slot(0), nullptr, "from_logits");
    if (args.slot(1)) {
      spec.label_smoothing = number(*args.slot(1), nullptr, "label_smoothing");
      if (!(spec.label_smoothing >= 0 && spec.label_smoothing < 1))
        fail(where(*args.slot(1)), "label_smoothing must be in [0, 1), not " + describe(*args.slot(1)), "0.1 is the usual value");
    }
  }
  return spec;
}

/// The labels file node `index`'s labels were read from (its Files ancestor).
std::string labels_file(const Experiment& exp, int index) {
  for (int guard = 0; index >= 0 && guard < 100000; ++guard) {
    const DataNode& n = exp.data[static_cast<std::size_t>(index)];
    if (n.kind == DataNode::Kind::Files || n.kind == DataNode::Kind::Npy) return n.labels_path;
    if (n.kind == DataNode::Kind::Images) return "the class folders of " + n.images_path;
    if (n.kind == DataNode::Kind::Csv) return "column '" + n.label_column + "' of " + n.images_path;
    index = n.kind == DataNode::Kind::SplitPart ? exp.splits[static_cast<std::size_t>(n.split)].base : n.base;
  }
  return "?";
}

}  // namespace

TrainConfig CheckerState::train_config(const std::vector<ast::Setting>& settings, const ModelSpec& model,
                                       const ast::Located& statement) {
  TrainConfig cfg;
  std::map<std::string, const ast::Setting*> seen;
  const ast::Expr* schedule_at = nullptr;  // read once the epochs are known
  std::optional<double> weight_decay, l2;  // set into the optimizer once it is known
  for (const ast::Setting& s : settings) {
    const std::string& key = s.key.text;
    if (auto it = seen.find(key); it != seen.end())
      fail(s.key, "'" + key + "' is set twice in this block");
    seen[key] = &s;
    if (key == "optimizer") {
      cfg.optimizer = optimizer(s.value);
    } else if (key == "loss") {
      cfg.loss = loss(s.value);
    } else if (key == "batch") {
      cfg.batch = at_least(s.value, nullptr, "batch size", 1);
      if (cfg.batch > 65536) fail(where(s.value), "batch size must be at most 65536");
    } else if (key == "epochs") {
      const auto epochs = at_least(s.value, nullptr, "epochs", 1);
      if (epochs > 100000) fail(where(s.value), "epochs must be at most 100000");
      cfg.epochs = static_cast<int>(epochs);
    } else if (key == "shuffle") {
      const std::string word = bare_word(s.value);
      if (word == "all") cfg.shuffle = -1;
      else if (word == "off") cfg.shuffle = 0;
      else cfg.shuffle = at_least(s.value, nullptr, "shuffle buffer size", 0);
    } else if (key == "seed") {
      cfg.seed = static_cast<std::uint64_t>(at_least(s.value, nullptr, "seed", 0));
    } else if (key == "schedule") {
      schedule_at = &s.value;
    } else if (key == "weight_decay") {
      weight_decay = decay_value(s.value, "weight_decay");  // applied after the loop: the optimizer may come later
    } else if (key == "l2") {
      l2 = decay_value(s.value, "l2");
    } else if (key == "clip_norm") {
      cfg.clip_norm = number(s.value, nullptr, "clip_norm");
      if (!(cfg.clip_norm > 0 && cfg.clip_norm < 1e30)) fail(where(s.value), "clip_norm must be a positive norm, not " + describe(s.value), "1.0 is a common value");
    } else if (key == "early_stop") {
      cfg.early_stop = early_stop(s.value);
    } else if (key == "save_best") {
      cfg.save_best = monitor_metric(s.value);
    } else if (key == "on_nan") {
      cfg.continue_on_nan = choice(s.value, nullptr, "on_nan policy", {"stop", "continue"}) == "continue";
    } else if (key == "validation") {
      cfg.validation = dataset(s.value);
      check_fit(model, cfg.validation, where(s.value), s.key);
    } else {
      const std::string settings =
          "settings are optimizer, loss, batch, epochs, shuffle, seed, validation, schedule, weight_decay, l2, clip_norm, "
          "early_stop, save_best and on_nan";
      // Keras' names for what tl spells otherwise.
      if (key == "learning_rate" || key == "lr")
        fail(s.key, "unknown training setting '" + key + "'",
             "the learning rate belongs to the optimizer: optimizer adam(lr = " + describe(s.value) + ")");
      if (key == "batch_size") fail(s.key, "unknown training setting 'batch_size'", "write batch " + describe(s.value));
      if (key == "global_clipnorm" || key == "clipnorm" || key == "max_norm")
        fail(s.key, "unknown training setting '" + key + "'", "write clip_norm " + describe(s.value) + " (clipping by global norm)");
      if (key == "early_stopping" || key == "patience")
        fail(s.key, "unknown training setting '" + key + "'", "write early_stop val_loss(patience = 5)");
      const std::string best =
          closest(key, {"optimizer", "loss", "batch", "epochs", "shuffle", "seed", "validation", "schedule", "weight_decay", "l2",
                        "clip_norm", "early_stop", "save_best", "on_nan"});
      fail(s.key, "unknown training setting '" + key + "'", (best.empty() ? "" : "did you mean '" + best + "'? ") + settings);
    }
  }
  if (schedule_at) cfg.schedule = schedule(*schedule_at, cfg.epochs);
  if (weight_decay) {
    if (seen.count("optimizer"))
      if (const ast::Call* call = as_call(seen["optimizer"]->value))
        for (const ast::Arg& a : call->args)
          if (a.keyword && a.keyword->text == "weight_decay")
            fail(seen["weight_decay"]->key, "the weight decay is set twice: by adamw(weight_decay = ...) and by this setting",
                 "keep one of them");
    cfg.optimizer.weight_decay = *weight_decay;
  }
  if (l2) cfg.optimizer.l2 = *l2;
  // Validation figures need a validation set; early_stop and save_best watch one figure.
  for (const char* key : {"early_stop", "save_best"}) {
    if (!seen.count(key)) continue;
    const MonitorMetric m = key[0] == 'e' ? cfg.early_stop->monitor : *cfg.save_best;
    if (needs_validation(m) && cfg.validation < 0)
      fail(where(seen[key]->value), std::string(key) + " watches " + metric_name(m) + ", but this training has no validation",
           "add validation DATASET to the block, or watch loss or accuracy");
  }
  if (cfg.early_stop && cfg.save_best && cfg.early_stop->monitor != *cfg.save_best)
    fail(where(seen["save_best"]->value),
         std::string("save_best watches ") + metric_name(*cfg.save_best) + " but early_stop watches " +
             metric_name(cfg.early_stop->monitor),
         std::string("watch one figure: save_best ") + metric_name(cfg.early_stop->monitor));
  if (cfg.early_stop && cfg.early_stop->patience >= cfg.epochs)
    fail(where(seen["early_stop"]->value),
         fmt::format("a patience of {} epochs in a training of {} can never stop it", cfg.early_stop->patience, cfg.epochs),
         "train for more epochs, or lower the patience");
  // The loss needs probabilities from a softmax, or logits when from_logits.
  const Layer& out = model.layers[static_cast<std::size_t>(model.output)];
  if (!cfg.loss.from_logits && out.activation != Activation::Softmax) {
    // At the loss setting, or (the default loss) at the train statement; a
    // note shows the model's last layer.
    const ast::Located at = seen.count("loss") ? where(seen["loss"]->value) : statement;
    std::vector<CheckNote> notes;
    if (out.where.length > 0)
      notes.push_back({out.where.offset, out.where.length, "model '" + model.name + "' ends here"});
    throw CheckError(at.offset, at.length,
                     std::string(seen.count("loss") ? "sparse_categorical_crossentropy expects"
                                                    : "the default loss, sparse_categorical_crossentropy, expects") +
                         " probabilities, but model '" + model.name +
                         "' ends in '" + out.name + "' with activation " + to_string(out.activation),
                     "end the model with a softmax, or write loss sparse_categorical_crossentropy(from_logits = true)",
                     std::move(notes));
  }
  if (cfg.loss.from_logits && out.activation == Activation::Softmax) {
    const ast::Located at = where(seen["loss"]->value);
    fail(at, "from_logits = true, but model '" + model.name + "' already ends in a softmax",
         "drop from_logits, or make the last layer linear");
  }
  return cfg;
}

void CheckerState::eval_settings(const std::vector<ast::Setting>& settings, const ModelSpec& model, Step& step) {
  const auto classes = static_cast<std::int64_t>(model.outputs());
  step.top_k = classes > 5 ? 5 : 0;  // reported by default where it differs from accuracy
  std::vector<ast::Setting> batch;
  for (const ast::Setting& s : settings) {
    if (s.key.text == "top") {
      const std::int64_t k = at_least(s.value, nullptr, "top", 1);
      if (k >= classes)
        fail(where(s.value), fmt::format("top {} of {} classes is always right", k, classes),
             fmt::format("give a k below the model's {} classes, such as top {}", classes, std::max<std::int64_t>(1, std::min<std::int64_t>(5, classes - 1))));
      step.top_k = static_cast<int>(k);
    } else if (s.key.text == "predictions") {
      step.predictions = choice(s.value, nullptr, "predictions", {"all", "wrong"}) == "all" ? Step::Predictions::All
                                                                                          : Step::Predictions::Wrong;
    } else if (s.key.text == "batch") {
      batch.push_back(s);
    } else {
      fail(s.key, "unknown evaluation setting '" + s.key.text + "'", "evaluate takes batch, top and predictions");
    }
  }
  step.eval_batch = eval_batch(batch);
}

std::int64_t CheckerState::eval_batch(const std::vector<ast::Setting>& settings) {
  std::int64_t batch = 32;  // Keras evaluate default
  for (const ast::Setting& s : settings) {
    if (s.key.text != "batch") fail(s.key, "unknown evaluation setting '" + s.key.text + "'", "evaluate takes batch");
    batch = at_least(s.value, nullptr, "batch size", 1);
    if (batch > 65536) fail(where(s.value), "batch size must be at most 65536");
  }
  return batch;
}

void CheckerState::check_fit(const ModelSpec& model, int data, const ast::Located& data_at, const ast::Located& model_at) {
  const DataNode& node = exp.data[static_cast<std::size_t>(data)];
  const Layer& in = model.layers.front();
  if (in.shape != node.sample_shape)
    fail(data_at, "model '" + model.name + "' takes " + shape_text(in.shape) + " samples, but '" + node.display +
                      "' has " + shape_text(node.sample_shape),
         in.shape.size() == 1 ? "an image dataset needs input(H, W, C) followed by flatten()"
                              : "change the model's input() to match the data");
  const Layer& out = model.layers[static_cast<std::size_t>(model.output)];
  if (out.shape.size() != 1)
    fail(model_at, "model '" + model.name + "' must end in a vector of class scores, but ends in " + shape_text(out.shape),
         "end it with flatten() and dense(classes, softmax)");
  const DataFacts facts = materialise(data, data_at);
  if (!facts.labelled)
    fail(data_at, "'" + node.display + "' has no labels: its folder holds images but no class folders",
         "to train or evaluate, put the images in one subfolder per class; to classify them, use "
         "tlc predict MODEL FOLDER");
  const std::int64_t max_label = facts.max_label;
  if (max_label >= out.shape[0] || facts.min_label < 0)
    fail(data_at, "'" + node.display + "' has labels up to " + std::to_string(max_label) + " (read from " +
                      labels_file(exp, data) + "), but model '" + model.name + "' has " + std::to_string(out.shape[0]) +
                      " outputs",
         "give the model " + std::to_string(max_label + 1) + " classes, or relabel the data");
  check_class_names(model, data, data_at);
}

void CheckerState::check_class_names(const ModelSpec& model, int data, const ast::Located& data_at) {
  // The names the model's outputs have so far: its last training's data, or
  // its model file.
  std::vector<std::string> known = model.class_names;
  std::string from = "its model file";
  if (const auto it = last_train_data.find(model.name); it != last_train_data.end()) {
    known = materialise(it->second, data_at).class_names;
    from = "'" + exp.data[static_cast<std::size_t>(it->second)].display + "'";
  }
  const std::vector<std::string> here = materialise(data, data_at).class_names;
  if (known.empty() || here.empty()) return;
  const std::size_t outputs = model.outputs();
  auto name = [](const std::vector<std::string>& names, std::size_t i) {
    return class_name(names, static_cast<std::int64_t>(i));
  };
  for (std::size_t i = 0; i < outputs; ++i) {
    if (i >= here.size() && i >= known.size()) break;
    if (name(here, i) == name(known, i)) continue;
    auto list = [&](const std::vector<std::string>& names) {
      std::string out;
      for (std::size_t j = 0; j < names.size() && j < outputs; ++j) out += (j ? ", " : "") + name(names, j);
      return out;
    };
    fail(data_at,
         fmt::format("label {} is '{}' in '{}' but '{}' for model '{}' (trained on {}): the classes disagree\n"
                     "  here:  {}\n  there: {}",
                     i, name(here, i), exp.data[static_cast<std::size_t>(data)].display, name(known, i), model.name, from,
                     list(here), list(known)),
         "image folders must have the same class folders (a class missing from one shifts every label after it)");
  }
}

}  // namespace tl::check
