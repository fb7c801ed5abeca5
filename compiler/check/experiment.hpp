// The checked experiment: what the checker produces from the AST and what the
// runtime executes. Every name is resolved, every shape inferred and every
// hyper-parameter validated; nothing here can fail for a reason the user
// could have been told about before the first batch.
#pragma once

#include <array>
#include <map>
#include <set>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ir/activation.hpp"
#include "compiler/ir/graph.hpp"
#include "compiler/ir/optimizer.hpp"

namespace tl::check {

/// A byte range in the script, for run-time messages that point back at it.
struct Span {
  std::uint32_t offset = 0, length = 0;
};

// --- models -----------------------------------------------------------------

/// Layer kinds, from compiler/check/layers.def.
enum class LayerKind {
#define TL_LAYER(kind, word, keras, default_name, doc) kind,
#include "compiler/check/layers.def"
#undef TL_LAYER
};
using Activation = ir::Activation;  // compiler/ir/activations.def

/// Every layer kind, in table order.
const std::vector<LayerKind>& layer_kinds();
const char* keras_class(LayerKind kind);         // "Conv2D", "MaxPooling2D", ...
const char* default_layer_name(LayerKind kind);  // "conv2d", "max_pooling2d", ...
const char* layer_word(LayerKind kind);          // the script's word: "conv2d", "maxpool2d", ...

enum class Init { GlorotUniform, Zeros, Ones };

/// Most values one layer output (per sample) or one parameter tensor may hold.
/// The checker and the model-file reader enforce it, so units and filters fit
/// an int and size products (an element count, times a batch of at most
/// 65,536) stay far from int64 overflow.
inline constexpr std::int64_t max_tensor_elements = std::numeric_limits<std::int32_t>::max();

/// Whether every size in `shape` is at least 1 and their product at most
/// max_tensor_elements; computed without overflowing.
bool within_size_limit(const ir::Shape& shape);

struct ParamSpec {
  std::string name;  // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"
  ir::Shape shape;
  bool trainable = true;  // false for batchnorm statistics
  Init init = Init::Zeros;
  std::int64_t fan_in = 0, fan_out = 0;  // for glorot
};

struct Layer {
  std::string name;  // unique within the model: the user's label or an automatic name
  LayerKind kind = LayerKind::Input;
  std::vector<int> inputs;  // indices of earlier layers
  ir::Shape shape;          // output shape without the batch dimension
  // Conv2D: filters = units; Dense: units.
  int units = 0;
  int window_h = 1, window_w = 1, stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;        // conv2d, depthwise_conv2d: the kernel's taps are this far apart
  int groups = 1;                            // conv2d: input and output channels split into this many groups
  bool count_include_pad = false;            // avgpool2d: padded cells count in each window's mean
  ir::Padding padding = ir::Padding::Valid;
  std::array<int, 4> pads{};                 // explicit padding: top, bottom, left, right
  Activation activation = Activation::Linear;
  std::vector<double> activation_params;     // one per ir::ActivationInfo::params entry (leaky_relu's alpha)
  bool use_bias = true;
  double rate = 0.0;                         // dropout
  double momentum = 0.99, epsilon = 1e-3;    // batchnorm (Keras defaults)
  std::vector<ParamSpec> params;
  Span where;

  std::int64_t param_count() const;
};

/// Where a derived model's tensor starts from: another model's tensor
/// (copied when the derivation runs), or fresh initialisation (model -1).
struct TensorOrigin {
  int model = -1;
  std::string tensor;
};

/// The name of label `label`: names[label] when it is there and not empty,
/// else the label's number. The one rule for showing a class, wherever names
/// come from (a dataset, a model file).
std::string class_name(const std::vector<std::string>& names, std::int64_t label);

struct ModelSpec {
  std::string name;          // the instance: `net` in `net = seed_cnn(10)`
  std::string architecture;  // `seed_cnn`
  std::vector<Layer> layers; // in topological order; layers[0] is the Input
  int output = 0;            // index of the output layer
  bool sequential = true;    // every layer takes the previous one (affects the summary layout)
  Span where;                // the instantiation
  bool derived = false;      // made from other models (copy/fresh + stages)
  std::map<std::string, TensorOrigin> origins;  // derived models: tensor -> origin
  std::set<std::string> frozen;                 // tensors ("<layer>/<param>") not trained
  std::map<std::string, double> lr_factors;     // tensor -> learning-rate multiplier (default 1)
  std::vector<std::string> class_names;         // output -> class name, from a model file (empty: unknown)

  std::int64_t total_params() const;
  std::int64_t trainable_params() const;
  /// How many class scores the model outputs: its output layer's width (0
  /// when the output is not a vector).
  std::size_t outputs() const;
  /// The Philox stream of this model's dropout layer or tensor initialiser
  /// `what` ("dropout", "conv2d/kernel"): keyed by the instance's name.
  std::uint64_t random_stream(const std::string& what) const;
  /// Persistent tensor name of a parameter: "<layer>/<param>".
  static std::string tensor_name(const Layer& layer, const ParamSpec& param) { return layer.name + "/" + param.name; }
};

// --- data -------------------------------------------------------------------

/// One augmentation of `| augment { ... }`, applied to a training batch's
/// samples in the order written, drawn per (seed, epoch, sample).
struct AugmentSpec {
  enum class Kind { Flip, Crop, Translate, Rotate, Brightness, Contrast, Noise } kind = Kind::Flip;
  bool horizontal = false, vertical = false;  ///< Flip: which flips may happen (each with probability 1/2)
  int padding = 0;                            ///< Crop: pixels of zeros added on each side before cropping back
  double amount = 0;  ///< Translate: fraction of the side; Rotate: degrees; Brightness, Contrast: factor; Noise: std
};

/// One node of a dataset pipeline; the runtime materialises nodes in order.
struct DataNode {
  enum class Kind { Files, Images, Npy, Csv, Augment, Where, Relabel, Scale, Normalize, Take, SplitPart } kind = Kind::Files;
  std::string display;  // "mnist.train", "fit", "digits | where ..." for reports
  int base = -1;        // input node (all kinds but Files)
  // Files: an IDX pair. Npy: .npy samples and labels (labels_path empty: no
  // labels). Images: the folder (images_path) and how its images
  // are read: resized to image_height x image_width (0: as they are),
  // image_channels 1 or 3 (0: what the files hold), bad files skipped or not.
  std::string images_path, labels_path;
  int image_height = 0, image_width = 0, image_channels = 0;
  bool skip_bad = false;
  // Csv: the table (images_path), its label column ("" for none), delimiter.
  std::string label_column;
  char delimiter = ',';
  // Where: keep[label] for label in 0..255 (IDX labels are bytes)
  std::array<bool, 256> keep{};
  // Relabel: new label for each old label (identity where not mapped)
  std::array<int, 256> mapping{};
  // Scale: pixel values are multiplied by `scale`
  double scale = 1.0;
  // Normalize: pixel values v of channel c become (v - mean[c]) / std[c];
  // each holds one value (every channel) or one per channel. With
  // `normalize from D [per channel]`, they are D's pixel statistics (over all
  // channels, or per channel) and stats_from names D.
  std::vector<double> mean{0.0}, std{1.0};
  std::string stats_from;
  // Augment: augmentations applied while training (appended to the base's)
  std::vector<AugmentSpec> augment;
  // Take: the first `count` samples
  std::int64_t count = 0;
  // SplitPart
  int split = -1, part = -1;
  // Sample shape (H, W, C), known at check time from the IDX headers.
  ir::Shape sample_shape;
  Span where;
};

struct SplitSpec {
  int base = -1;
  std::vector<double> fractions;
  std::optional<std::uint64_t> seed;
  bool stratified = false;  // each label cut by the fractions on its own
  Span where;
};

// --- steps ------------------------------------------------------------------

enum class LossKind { SparseCategoricalCrossentropy };

struct LossSpec {
  LossKind kind = LossKind::SparseCategoricalCrossentropy;
  bool from_logits = false;
  /// Targets (1 - s) onehot + s / classes while training (Keras' and
  /// PyTorch's label_smoothing); evaluations use the plain cross-entropy.
  double label_smoothing = 0.0;
};

/// A learning-rate schedule: the factor the optimizer's learning rate (and
/// every layer's `lr` multiplier with it) is multiplied by at each update.
///   constant:    1
///   step:        gamma^floor((epoch - 1) / every)         (PyTorch StepLR)
///   exponential: gamma^(epoch - 1)                         (ExponentialLR)
///   cosine:      linear warmup over `warmup` epochs, (u + 1) / W for update u
///                < W (W = warmup x steps per epoch), then min + (1 - min)
///                (1 + cos(pi (u - W) / (T - W))) / 2 to the last of T updates
///   plateau:     times `factor` each time the monitored loss (validation loss
///                if the training has validation, else training loss) has not
///                improved by more than 1e-4 for `patience` epochs (ReduceLROnPlateau)
struct LrSchedule {
  enum class Kind { Constant, Step, Exponential, Cosine, Plateau } kind = Kind::Constant;
  int every = 1;            ///< step
  double gamma = 0.1;       ///< step, exponential
  int warmup = 0;           ///< cosine: epochs of linear warmup
  double min_factor = 0.0;  ///< cosine: the floor, a fraction of the learning rate
  double factor = 0.1;      ///< plateau
  int patience = 10;        ///< plateau
};

/// A per-epoch figure a training watches (early stopping, the best epoch's
/// model file): the training loss or accuracy, or the validation's.
enum class MonitorMetric { Loss, Accuracy, ValLoss, ValAccuracy };
const char* metric_name(MonitorMetric m);  // "val_loss", ...
/// The figure called `name` ("val_loss", ...), if there is one.
std::optional<MonitorMetric> monitor_metric_named(const std::string& name);
/// Losses improve downwards, accuracies upwards.
bool lower_is_better(MonitorMetric m);
/// val_loss and val_accuracy need a validation set.
bool needs_validation(MonitorMetric m);

/// `early_stop val_loss(patience = 5, min_delta = 0, restore_best = true)`:
/// training stops once the monitored figure has not improved by more than
/// min_delta for `patience` epochs in a row (Keras' EarlyStopping), and the
/// weights of the best epoch are put back unless restore_best is false.
struct EarlyStop {
  MonitorMetric monitor = MonitorMetric::ValLoss;
  int patience = 5;
  double min_delta = 0.0;
  bool restore_best = true;
};

struct TrainConfig {
  ir::OptimizerSpec optimizer;
  LossSpec loss;
  std::int64_t batch = 32;   // Keras fit default
  int epochs = 1;
  std::int64_t shuffle = -1; // buffer size; -1 = the whole dataset, 0 = no shuffling
  std::optional<std::uint64_t> seed;
  int validation = -1;       // data node evaluated after every epoch, or -1
  bool continue_on_nan = false;  // `on_nan continue`: warn instead of stopping
  LrSchedule schedule;
  std::optional<EarlyStop> early_stop;
  /// `save_best METRIC`: the weights of the best epoch so far, by METRIC,
  /// written as "<model>.best.safetensors" whenever it improves (Keras'
  /// ModelCheckpoint(save_best_only = True)). With early_stop, the same metric.
  std::optional<MonitorMetric> save_best;
  /// `clip_norm C`: gradients scaled by min(1, C / sqrt(sum of squares + 1e-12))
  /// before the update (Keras' global_clipnorm, PyTorch's clip_grad_norm_); 0: off.
  double clip_norm = 0.0;
};

struct Step {
  /// Derive: copies the tensors of `model` whose origin is another model,
  /// from that model's weights as they are at this point of the script.
  /// Compare: `models` side by side on `data` (the first is the baseline).
  /// Load: the weights of `model` come from the model file `path`.
  /// Export: `model` written to `path` (relative: in the run folder) as `format`.
  enum class Kind { Train, Evaluate, Summary, Derive, Compare, Load, Export } kind = Kind::Train;
  int model = -1;
  std::vector<int> models;  // Compare
  std::string path;         // Load, Export
  enum class Format { Tl, Onnx } format = Format::Tl;  // Load, Export: a tl model file, or an ONNX file
  int data = -1;  // Train / Evaluate
  TrainConfig train;
  std::int64_t eval_batch = 32;
  /// Evaluate: top-k accuracy for this k (0: not reported), and which
  /// per-sample predictions to write to a CSV file.
  int top_k = 0;
  enum class Predictions { None, All, Wrong } predictions = Predictions::None;
  Span where;
};

struct Experiment {
  std::string script;  // path of the script, for reports
  std::uint64_t seed = 0;
  /// `repeat`: the seeds of the runs (empty: one run with `seed`).
  std::vector<std::uint64_t> repeat_seeds;
  std::vector<DataNode> data;
  std::vector<SplitSpec> splits;
  std::vector<ModelSpec> models;
  std::vector<Step> steps;
};

}  // namespace tl::check
