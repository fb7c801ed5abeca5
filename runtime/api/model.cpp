// tl::Model: load/save, summary, predict, evaluate and train on host buffers.
#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/api/model_impl.hpp"
#include "runtime/data/batches.hpp"
#include "runtime/data/data_error.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/dist/failure.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/report/class_metrics.hpp"
#include "runtime/report/summary.hpp"
#include "runtime/train/trainer.hpp"

namespace tl {

namespace {

/// Throws tl::Error unless `images` are some bytes or floats of the model's input shape.
void check_images(const Images& images, const check::ModelSpec& spec) {
  const auto& in = spec.layers.front().shape;
  if (images.count == 0) throw Error("tl: no images given");
  if (!images.bytes == !images.floats) throw Error("tl: give the images as bytes or as floats (exactly one)");
  const std::vector<std::int64_t> given = {static_cast<std::int64_t>(images.height),
                                           static_cast<std::int64_t>(images.width),
                                           static_cast<std::int64_t>(images.channels)};
  if (given != in)
    throw Error("tl: model '" + spec.name + "' takes " + std::to_string(in.at(0)) + "x" + std::to_string(in.at(1)) + "x" +
                std::to_string(in.at(2)) + " images, got " + std::to_string(images.height) + "x" +
                std::to_string(images.width) + "x" + std::to_string(images.channels));
  if ((!images.channel_scale.empty() || !images.channel_offset.empty()) &&
      (images.channel_scale.size() != images.channels || images.channel_offset.size() != images.channels))
    throw Error(fmt::format("tl: Images::channel_scale and channel_offset need one value per channel ({}), not {} and {}",
                            images.channels, images.channel_scale.size(), images.channel_offset.size()));
}

/// Bytes fed to a model must be mapped as its training bytes were: a model
/// standardised in training and fed bytes / 255 would give wrong answers
/// without any sign of it.
void check_pixel_map(const Images& images, const std::optional<PixelMap>& trained, const std::string& model) {
  if (!images.bytes || !trained || images.map() == *trained) return;
  auto describe = [](const PixelMap& m) {
    return m.channel_scale.empty() ? fmt::format("scale {} offset {}", m.scale, m.offset)
                                   : fmt::format("channel scales {} offsets {}", fmt::join(m.channel_scale, ", "),
                                                 fmt::join(m.channel_offset, ", "));
  };
  throw Error(fmt::format("tl: model '{}' was trained on bytes mapped by {}, but these are mapped by {}; feed them "
                          "with the model's map (Dataset::images(*model.pixels()), or set Images' scale and offset "
                          "(or channel_scale and channel_offset) from model.pixels())",
                          model, describe(*trained), describe(images.map())));
}

/// The host's images as a runtime dataset (copied), with `labels` or zeros.
data::Dataset as_dataset(const Images& images, const std::int32_t* labels, const check::ModelSpec& spec) {
  check_images(images, spec);
  std::vector<std::int32_t> ids(images.count, 0);
  if (labels) {
    const auto classes = spec.layers[static_cast<std::size_t>(spec.output)].shape.at(0);
    for (std::size_t i = 0; i < images.count; ++i) {
      if (labels[i] < 0 || labels[i] >= classes)
        throw Error("tl: label " + std::to_string(labels[i]) + " of image " + std::to_string(i) + " is outside 0.." +
                    std::to_string(classes - 1) + " for model '" + spec.name + "'");
      ids[i] = labels[i];
    }
  }
  const int h = static_cast<int>(images.height), w = static_cast<int>(images.width),
            c = static_cast<int>(images.channels);
  const std::size_t n = images.count * images.height * images.width * images.channels;
  data::Dataset ds =
      images.bytes
          ? data::make_dataset({h, w, c, std::vector<std::uint8_t>(images.bytes, images.bytes + n), std::move(ids)})
          : data::make_float_dataset(h, w, c, std::vector<float>(images.floats, images.floats + n), std::move(ids));
  ds.pixels = to_data(images.map());
  return ds;
}

struct Silent : train::ProgressSink {
  void epoch_begin(int, int, std::int64_t) override {}
  void step(std::int64_t, double, double) override {}
  void epoch_end(const train::EpochStats&) override {}
};

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string& path) {
  try {
    io::LoadedModel loaded = io::load_model(path);
    auto impl = std::make_unique<Impl>();
    impl->spec = std::move(loaded.spec);
    impl->vars = std::move(loaded.vars);
    if (loaded.pixels) impl->pixels = from_data(*loaded.pixels);
    return Model(std::move(impl));
  } catch (const data::DataError& e) {
    throw Error(e.format());
  }
}

void Model::save(const std::string& path) const {
  try {
    std::optional<data::PixelMap> pixels;
    if (impl_->pixels) pixels = to_data(*impl_->pixels);
    io::save_model(path, impl_->spec, impl_->vars, pixels, impl_->spec.class_names);
  } catch (const data::DataError& e) {
    throw Error(e.format());
  }
}

std::string Model::name() const { return impl_->spec.name; }
std::vector<std::string> Model::class_names() const { return impl_->spec.class_names; }

std::string Model::class_name(std::size_t output) const {
  if (output >= classes()) throw Error(fmt::format("tl: model '{}' has {} outputs, not {}", impl_->spec.name, classes(), output + 1));
  return check::class_name(impl_->spec.class_names, static_cast<std::int64_t>(output));
}

void Model::set_class_names(std::vector<std::string> names) {
  if (!names.empty() && names.size() != classes())
    throw Error(fmt::format("tl: model '{}' has {} outputs, but {} class names were given", impl_->spec.name, classes(),
                            names.size()));
  impl_->spec.class_names = std::move(names);
}
std::optional<PixelMap> Model::pixels() const { return impl_->pixels; }
std::string Model::summary() const { return report::summary(impl_->spec); }

std::string Model::manifest() const {
  std::vector<std::string> names;  // donors are not known once loaded: number them
  int max_model = -1;
  for (const auto& [t, o] : impl_->spec.origins) max_model = std::max(max_model, o.model);
  for (int i = 0; i <= max_model; ++i) names.push_back("model" + std::to_string(i));
  return report::manifest(impl_->spec, names);
}

std::vector<std::size_t> Model::input_shape() const {
  const auto& s = impl_->spec.layers.front().shape;
  return std::vector<std::size_t>(s.begin(), s.end());
}

std::size_t Model::classes() const {
  return static_cast<std::size_t>(impl_->spec.layers[static_cast<std::size_t>(impl_->spec.output)].shape.at(0));
}

std::vector<float> Model::predict_scores(const Images& images) const {
  check_images(images, impl_->spec);
  check_pixel_map(images, impl_->pixels, impl_->spec.name);
  const std::size_t count = images.count, sample = images.height * images.width * images.channels;
  const std::size_t batch = std::min<std::size_t>(256, count);
  const std::size_t classes = this->classes();
  std::vector<float> scores(count * classes);
  // Each call has its own executor and buffers; the weights are only read
  // (predict graphs have no updates), so concurrent calls are safe.
  const auto executor = exec::make_executor(impl_->backend, 1);
  auto& vars = const_cast<exec::Variables&>(impl_->vars);
  // Batches are read where the host keeps them: bytes are fed as they are
  // (the step scales them as it reads them); floats are copied batch by batch.
  Tensor image_batch;
  exec::ImageBytes image_bytes;
  for (std::size_t b = 0, steps = data::batch_count(count, batch); b < steps; ++b) {
    const std::size_t first = b * batch, rows = std::min(batch, count - first);
    const auto n = static_cast<std::int64_t>(rows);
    std::shared_ptr<const lower::StepGraph> graph;
    {
      std::lock_guard lock(impl_->mutex);
      auto& slot = impl_->predict_graphs[n];
      if (!slot)
        slot = std::make_shared<lower::StepGraph>(lower::build_step(impl_->spec, n, lower::StepKind::Predict, nullptr));
      graph = slot;
    }
    const std::vector<std::size_t> shape = {rows, images.height, images.width, images.channels};
    exec::Feeds feeds;
    if (images.bytes && images.channel_scale.empty()) {
      image_bytes = {images.bytes + first * sample, shape, images.scale, images.offset};
      feeds.image_bytes = &image_bytes;
    } else if (images.bytes) {  // per channel: mapped here, fed as floats
      image_batch = Tensor::from_shape(shape);
      data::map_bytes(images.bytes + first * sample, rows * sample, to_data(images.map()), images.channels,
                      image_batch.data());
      feeds.images = &image_batch;
    } else {
      image_batch = Tensor::from_shape(shape);
      std::copy_n(images.floats + first * sample, rows * sample, image_batch.data());
      feeds.images = &image_batch;
    }
    const auto out = executor->run(graph->graph, vars, feeds, {});
    const Tensor& s = out.at("scores");
    std::memcpy(scores.data() + first * classes, s.data(), s.size() * sizeof(float));
  }
  return scores;
}

std::vector<int> Model::predict(const Images& images) const {
  const std::vector<float> scores = predict_scores(images);
  const std::size_t classes = this->classes();
  std::vector<int> out(images.count);
  for (std::size_t i = 0; i < images.count; ++i) {
    const float* row = scores.data() + i * classes;
    out[i] = static_cast<int>(std::max_element(row, row + classes) - row);
  }
  return out;
}

Metrics Model::evaluate(const Images& images, const std::int32_t* labels, int batch) const {
  if (!labels) throw Error("tl: evaluate needs labels");
  if (batch < 1) throw Error("tl: the batch size must be at least 1");
  check_pixel_map(images, impl_->pixels, impl_->spec.name);
  const data::Dataset ds = as_dataset(images, labels, impl_->spec);
  const auto executor = exec::make_executor(impl_->backend, 1);
  auto& self = const_cast<Impl&>(*impl_);
  train::ModelState state{&self.spec, self.vars};
  const train::EvalStats stats = train::evaluate(*executor, state, ds, batch, train::default_eval_config(self.spec));
  return {stats.loss, stats.accuracy, stats.samples};
}

ClassReport Model::class_report(const Images& images, const std::int32_t* labels, int top_k) const {
  if (!labels) throw Error("tl: class_report needs labels");
  const std::size_t classes = impl_->spec.outputs();
  if (top_k < 0 || (top_k > 0 && static_cast<std::size_t>(top_k) >= classes))
    throw Error("tl: top_k must be 0 (off) or below the " + std::to_string(classes) + " classes");
  const std::vector<float> scores = predict_scores(images);
  const std::vector<std::int32_t> truth(labels, labels + images.count);
  for (std::size_t i = 0; i < truth.size(); ++i)
    if (truth[i] < 0 || static_cast<std::size_t>(truth[i]) >= classes)
      throw Error("tl: label " + std::to_string(truth[i]) + " of sample " + std::to_string(i) + " is not one of the " +
                  std::to_string(classes) + " classes");
  const report::ClassMetrics m = report::class_metrics(scores, truth, classes, top_k);
  ClassReport out;
  out.classes = m.classes;
  out.samples = m.samples;
  out.confusion = m.confusion;
  out.precision = m.precision;
  out.recall = m.recall;
  out.f1 = m.f1;
  out.support = m.support;
  out.accuracy = m.accuracy;
  out.macro_precision = m.macro_precision;
  out.macro_recall = m.macro_recall;
  out.macro_f1 = m.macro_f1;
  out.weighted_f1 = m.weighted_f1;
  out.top_k = m.top_k;
  out.top_k_accuracy = m.top_k_accuracy;
  return out;
}

namespace {

/// What train() trains on, with what settings: checked from the options.
struct TrainSetup {
  data::Dataset ds;
  check::TrainConfig config;
  std::optional<data::Dataset> validation;
};

TrainSetup setup_training(const check::ModelSpec& spec, const Images& images, const std::int32_t* labels,
                          const TrainOptions& options) {
  if (!labels) throw Error("tl: train needs labels");
  if (options.epochs < 1 || options.batch < 1) throw Error("tl: epochs and batch must be at least 1");
  if (!(options.learning_rate > 0)) throw Error("tl: the learning rate must be positive");
  TrainSetup setup{as_dataset(images, labels, spec), train::default_eval_config(spec), std::nullopt};
  check::TrainConfig& config = setup.config;
  config.epochs = options.epochs;
  config.batch = options.batch;
  config.shuffle = options.shuffle;
  config.optimizer.lr = options.learning_rate;
  if (options.optimizer == "sgd") {
    config.optimizer.kind = ir::OptimizerSpec::Kind::Sgd;
    config.optimizer.momentum = options.momentum;
  } else if (options.optimizer == "adamw") {
    config.optimizer.weight_decay = 0.01;
  } else if (options.optimizer != "adam") {
    throw Error("tl: unknown optimizer '" + options.optimizer + "' (adam, adamw or sgd)");
  }
  auto fraction = [](double v, const char* what) {
    if (!(v >= 0 && v < 1)) throw Error(std::string("tl: ") + what + " must be in [0, 1)");
    return v;
  };
  if (options.weight_decay != -1) config.optimizer.weight_decay = fraction(options.weight_decay, "weight_decay");
  config.optimizer.l2 = fraction(options.l2, "l2");
  config.loss.label_smoothing = fraction(options.label_smoothing, "label_smoothing");
  if (!(options.clip_norm >= 0)) throw Error("tl: clip_norm must be 0 (off) or positive");
  config.clip_norm = options.clip_norm;
  {
    const Schedule& s = options.schedule;
    using Kind = check::LrSchedule::Kind;
    check::LrSchedule& out = config.schedule;
    auto fraction_in = [](double v, bool open_top, const char* what) {
      if (!(v > 0 && (open_top ? v < 1 : v <= 1))) throw Error(std::string("tl: schedule ") + what + " out of range");
      return v;
    };
    if (s.kind == "constant") {
      out.kind = Kind::Constant;
    } else if (s.kind == "step") {
      if (s.every < 1 || s.every >= options.epochs) throw Error("tl: schedule step's every must be in [1, epochs)");
      out.kind = Kind::Step, out.every = s.every, out.gamma = fraction_in(s.gamma, false, "gamma");
    } else if (s.kind == "exponential") {
      out.kind = Kind::Exponential, out.gamma = fraction_in(s.gamma, false, "gamma");
    } else if (s.kind == "cosine") {
      if (s.warmup < 0 || s.warmup >= options.epochs) throw Error("tl: schedule cosine's warmup must be in [0, epochs)");
      if (!(s.min >= 0 && s.min < 1)) throw Error("tl: schedule cosine's min must be in [0, 1)");
      out.kind = Kind::Cosine, out.warmup = s.warmup, out.min_factor = s.min;
    } else if (s.kind == "plateau") {
      if (s.patience < 1) throw Error("tl: schedule plateau's patience must be at least 1");
      out.kind = Kind::Plateau, out.factor = fraction_in(s.factor, true, "factor"), out.patience = s.patience;
    } else {
      throw Error("tl: unknown schedule '" + s.kind + "' (constant, step, exponential, cosine or plateau)");
    }
  }
  if ((options.validation == nullptr) != (options.validation_labels == nullptr))
    throw Error("tl: validation needs both images and labels");
  std::optional<data::Dataset>& validation = setup.validation;
  if (options.validation) validation = as_dataset(*options.validation, options.validation_labels, spec);
  if (!options.early_stop.empty()) {
    check::EarlyStop stop;
    const auto monitor = check::monitor_metric_named(options.early_stop);
    if (!monitor) throw Error("tl: early_stop watches loss, accuracy, val_loss or val_accuracy, not '" + options.early_stop + "'");
    stop.monitor = *monitor;
    if (!validation && check::needs_validation(stop.monitor))
      throw Error("tl: early_stop on " + options.early_stop + " needs validation data (TrainOptions::validation)");
    if (options.patience < 1) throw Error("tl: patience must be at least 1");
    if (!(options.min_delta >= 0)) throw Error("tl: min_delta must be 0 or more");
    stop.patience = options.patience;
    stop.min_delta = options.min_delta;
    stop.restore_best = options.restore_best;
    config.early_stop = stop;
  }
  return setup;
}

/// Data-parallel: every process learns whether any failed before its
/// training starts (none may wait in the first step's collective); the
/// failed one rethrows its own error, the others throw Error naming it.
void agree_before_training(const dist::Communicator& comm, std::exception_ptr failed) {
  try {
    dist::agree_on_failure(comm, failed);
  } catch (const dist::ProcessFailed& e) {
    throw Error(std::string("tl: ") + e.what());
  }
}

}  // namespace

std::vector<Metrics> Model::train(const Images& images, const std::int32_t* labels, const TrainOptions& options) {
  // The host's processes as the trainer's communicator.
  struct Adapter final : dist::Communicator {
    const Processes& p;
    explicit Adapter(const Processes& processes) : p(processes) {}
    int rank() const override { return p.rank(); }
    int size() const override { return p.size(); }
    std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
      return p.allgather(data, bytes, lengths);
    }
    std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                               std::vector<std::size_t>& received) const override {
      return p.exchange(data, counts, received);
    }
    [[noreturn]] void abort(int code) const override { std::exit(code); }
  };
  std::optional<Adapter> processes;
  train::FitHooks hooks;
  if (options.processes) {
    if (options.processes->size() < 1 || options.processes->rank() < 0 || options.processes->rank() >= options.processes->size())
      throw Error("tl: TrainOptions::processes gives rank " + std::to_string(options.processes->rank()) + " of " +
                  std::to_string(options.processes->size()));
    processes.emplace(*options.processes);
    hooks.comm = &*processes;
  }
  std::optional<TrainSetup> setup;
  std::exception_ptr failed;
  try {
    setup = setup_training(impl_->spec, images, labels, options);
  } catch (...) {
    if (!processes) throw;
    failed = std::current_exception();
  }
  if (processes) agree_before_training(*processes, failed);
  const data::Dataset& ds = setup->ds;
  const check::TrainConfig& config = setup->config;
  const std::optional<data::Dataset>& validation = setup->validation;
  const auto executor = exec::make_executor(impl_->backend, 1);
  train::ModelState state{&impl_->spec, std::move(impl_->vars)};
  Silent quiet;
  std::vector<train::EpochStats> history;
  try {
    history = train::fit(*executor, state, ds, config, options.seed, validation ? &*validation : nullptr, quiet, hooks).history;
  } catch (const std::runtime_error& e) {
    impl_->vars = std::move(state.vars);
    throw Error(std::string("tl: training stopped: ") + e.what());
  }
  train::reset_optimizer(state);
  impl_->vars = std::move(state.vars);
  impl_->pixels = images.bytes ? std::optional<PixelMap>(images.map()) : std::nullopt;
  std::vector<Metrics> out;
  for (const auto& e : history) {
    Metrics m{e.loss, e.accuracy, e.samples};
    if (e.val_loss) m.val_loss = *e.val_loss, m.val_accuracy = *e.val_accuracy;
    out.push_back(m);
  }
  return out;
}

Dataset load_idx(const std::string& images_path, const std::string& labels_path) {
  try {
    data::ImagesAndLabels raw = data::read_idx_pair(images_path, labels_path);
    Dataset out;
    out.count = raw.labels.size();
    out.height = static_cast<std::size_t>(raw.height);
    out.width = static_cast<std::size_t>(raw.width);
    out.channels = static_cast<std::size_t>(raw.channels);
    out.pixels = std::move(raw.pixels);
    out.labels = std::move(raw.labels);
    return out;
  } catch (const data::DataError& e) {
    throw Error(e.format());
  }
}

}  // namespace tl
