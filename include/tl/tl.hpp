// tl: the embedding API. Everything a host application needs, on one page
// (docs/embedding.md): compile a .tl script and run it, or load a trained model
// file and predict, train or evaluate on host-owned buffers. Errors are
// tl::Error exceptions whose what() is the same text tlc prints
// (`file:line:col: error: ...` for scripts, `path: byte N: error: ...` for data
// and model files). The library never prints and never exits: progress goes
// to the log handler you pass, if any. Models and experiments are independent
// values; any number can live in one process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace tl {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Receives each line of progress and report text (without the newline).
using LogHandler = std::function<void(std::string_view line)>;

/// How bytes become a model's input: value = float(byte) * scale + offset,
/// or, after a per-channel `normalize` (ImageNet-style), value =
/// float(byte) * channel_scale[c] + channel_offset[c] for channel c.
struct PixelMap {
  float scale = 1.0f;
  float offset = 0.0f;
  std::vector<float> channel_scale, channel_offset;  ///< one per channel, or empty
  /// The same map: the same per-channel numbers, or (both uniform) the same scale and offset.
  bool operator==(const PixelMap& o) const {
    if (!channel_scale.empty() || !o.channel_scale.empty())
      return channel_scale == o.channel_scale && channel_offset == o.channel_offset;
    return scale == o.scale && offset == o.offset;
  }
};

/// Images in host memory, NHWC, either bytes (mapped on use: value =
/// float(byte) * scale + offset, or per channel with channel_scale and
/// channel_offset, as a script's `scale` and `normalize` stages set them) or
/// floats (used as they are). The pixels are not copied: they must outlive
/// the call.
struct Images {
  const std::uint8_t* bytes = nullptr;
  const float* floats = nullptr;
  std::size_t count = 0, height = 0, width = 0, channels = 1;
  float scale = 1.0f;
  float offset = 0.0f;
  std::vector<float> channel_scale, channel_offset;  ///< per channel, when not empty (then scale and offset are unused)
  /// The map these bytes are given with.
  PixelMap map() const { return {scale, offset, channel_scale, channel_offset}; }
};

/// Labelled images read from IDX files (raw or gzipped), owned here.
struct Dataset {
  std::vector<std::uint8_t> pixels;
  std::vector<std::int32_t> labels;
  std::size_t count = 0, height = 0, width = 0, channels = 0;
  /// The pixels as bytes mapped to float(byte) * scale + offset.
  Images images(float scale = 1.0f / 255, float offset = 0.0f) const {
    return {pixels.data(), nullptr, count, height, width, channels, scale, offset};
  }
  /// The pixels as bytes mapped as a model was trained: images(*model.pixels())
  /// once model.pixels() is known to hold a value.
  Images images(const PixelMap& map) const {
    Images out = images(map.scale, map.offset);
    out.channel_scale = map.channel_scale;
    out.channel_offset = map.channel_offset;
    return out;
  }
};
Dataset load_idx(const std::string& images_path, const std::string& labels_path);

struct Metrics {
  double loss = 0, accuracy = 0;
  std::int64_t samples = 0;
  /// Model::train with validation data: that epoch's validation figures
  /// (NaN without validation, and for evaluate()).
  double val_loss = std::numeric_limits<double>::quiet_NaN();
  double val_accuracy = std::numeric_limits<double>::quiet_NaN();
};

/// A learning-rate schedule, as the script's `schedule` setting
/// (docs/language.md): kind "constant", "step" (every, gamma), "exponential"
/// (gamma), "cosine" (warmup epochs, min) or "plateau" (factor, patience).
struct Schedule {
  std::string kind = "constant";
  int every = 1;
  double gamma = 0.1;
  int warmup = 0;
  double min = 0;
  double factor = 0.1;
  int patience = 10;
};

/// Per-class figures of an evaluation, as `evaluate` gives them in a script
/// (scikit-learn's definitions; docs/language.md, `evaluate`).
struct ClassReport {
  std::size_t classes = 0, samples = 0;
  std::vector<std::int64_t> confusion;  ///< classes x classes: row = true class, column = predicted
  std::vector<double> precision, recall, f1;
  std::vector<std::int64_t> support;    ///< samples of each class
  double accuracy = 0, macro_precision = 0, macro_recall = 0, macro_f1 = 0, weighted_f1 = 0;
  int top_k = 0;                        ///< 0: not computed
  double top_k_accuracy = 0;
};

/// The processes of a data-parallel training (docs/scale-out.md). tl asks
/// them for every process's bytes, gathered in rank order, and (optionally,
/// for less traffic) for blocks sent rank to rank. An MPI communicator is
/// one: include <tl/mpi.hpp> for tl::MpiProcesses. Every
/// process calls train() with the same data and options; each takes its
/// share of every batch and all end with the same weights.
class Processes {
 public:
  virtual ~Processes() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every process's `bytes` bytes at `data` (each its own length),
  /// concatenated in rank order; lengths[r] = rank r's length.
  virtual std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const = 0;
  /// Rank to rank: `data` holds consecutive blocks in rank order, counts[r]
  /// bytes for rank r; returns the blocks every process sent this one, in
  /// rank order, their lengths in `received`. The default is made of
  /// allgather() (everything travels to everyone); override it with an
  /// all-to-all (MPI_Alltoallv) to send only the blocks.
  virtual std::vector<char> exchange(const void* data, const std::vector<std::size_t>& counts,
                                     std::vector<std::size_t>& received) const;
};

struct TrainOptions {
  int epochs = 1;
  int batch = 32;
  std::int64_t shuffle = -1;   // buffer size; -1 = full shuffle, 0 = none
  std::uint64_t seed = 0;
  std::string optimizer = "adam";  // "adam", "adamw" (weight_decay 0.01 unless set) or "sgd"
  double learning_rate = 1e-3;
  double momentum = 0;             // sgd
  /// Weight decay of the kernels (dense and convolution weights), as the
  /// script's settings: decoupled (AdamW: kernel *= 1 - lr * weight_decay
  /// each step) and L2 (l2 * kernel added to the gradient). 0: none.
  double weight_decay = -1;        // -1: the optimizer's default (adamw 0.01, else 0)
  double l2 = 0;
  double label_smoothing = 0;      // targets (1 - s) onehot + s / classes
  double clip_norm = 0;            // > 0: gradients clipped to this global norm
  Schedule schedule;
  /// Validation data, evaluated after every epoch (Metrics::val_loss, ...).
  const Images* validation = nullptr;
  const std::int32_t* validation_labels = nullptr;
  /// Early stopping: "" (off), "loss", "accuracy", "val_loss" or
  /// "val_accuracy" (these need validation data); stops after `patience`
  /// epochs without an improvement by more than min_delta and, with
  /// restore_best, puts the best epoch's weights back.
  std::string early_stop;
  int patience = 5;
  double min_delta = 0;
  bool restore_best = true;
  /// Data-parallel training over these processes (null: this one alone).
  const Processes* processes = nullptr;
};

class Model {
 public:
  /// A model file written by tlc run or Model::save.
  static Model load(const std::string& path);
  /// Atomic: a killed process never leaves a half-written file.
  void save(const std::string& path) const;

  std::string name() const;
  std::string summary() const;  // the Keras-style table
  std::string manifest() const; // every tensor: where it came from, trainable
  std::vector<std::size_t> input_shape() const;  // {H, W, C}
  std::size_t classes() const;
  /// The name of each output (a class folder's name, ...), as the model's
  /// last training data had them; empty when unknown (IDX data). Saved in
  /// and loaded from model files.
  std::vector<std::string> class_names() const;
  /// The name of output `output` (< classes()): its class name, or its
  /// number when the model has none.
  std::string class_name(std::size_t output) const;
  /// Names the outputs (one name each, or none to forget them); saved by save().
  void set_class_names(std::vector<std::string> names);
  /// The pixel map of the bytes the model was last trained on, when known:
  /// the data of its last `train` step in a script (recorded in the model
  /// files tlc run writes, and read back by load), or the bytes given to
  /// train(). Feed new bytes with the same map: data.images(*model.pixels()),
  /// after checking it holds a value (predict and evaluate refuse bytes
  /// mapped otherwise).
  /// Empty for a model trained on floats, never trained, or loaded from a
  /// file without one.
  std::optional<PixelMap> pixels() const;

  /// Class scores, count x classes (probabilities for a softmax model).
  /// Thread-safe: several threads may predict on one model at once.
  std::vector<float> predict_scores(const Images& images) const;
  std::vector<int> predict(const Images& images) const;
  Metrics evaluate(const Images& images, const std::int32_t* labels, int batch = 32) const;
  /// Precision, recall and F1 per class, their averages, the confusion
  /// matrix and (top_k > 0, below the number of classes) top-k accuracy.
  ClassReport class_report(const Images& images, const std::int32_t* labels, int top_k = 0) const;
  /// Trains in place; one Metrics per epoch. Not concurrent with predict.
  std::vector<Metrics> train(const Images& images, const std::int32_t* labels, const TrainOptions& options);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  friend class Experiment;
};

struct CompileOptions {
  std::vector<std::string> data_dirs;  // where idx("name") looks; default: as tlc
  std::optional<std::uint64_t> seed;   // overrides the script's seed
};

struct RunOptions {
  std::string out_dir = "runs/tl";     // results.json, model files, reports
  std::string backend = "jit";         // or "reference" (the oracle; one thread), as tlc
  int threads = 0;                     // 0: all cores (the JIT), as tlc
  LogHandler log;                      // progress and reports; none: silent
};

class Experiment {
 public:
  /// Parses and checks a script; throws Error with every diagnostic.
  static Experiment compile(const std::string& path, const CompileOptions& options = {});
  static Experiment compile_source(const std::string& name, const std::string& text, const CompileOptions& options = {});

  std::vector<std::string> model_names() const;
  std::string summary(const std::string& model) const;
  /// Runs every step of the script.
  void run(const RunOptions& options = {});
  /// A copy of a model as it is now (after run(): trained).
  Model model(const std::string& name) const;

  Experiment(Experiment&&) noexcept;
  Experiment& operator=(Experiment&&) noexcept;
  ~Experiment();

 private:
  struct Impl;
  explicit Experiment(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tl
