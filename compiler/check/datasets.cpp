// Checking dataset expressions: idx(...) sources, members (.train/.test),
// pipeline stages (where, relabel, scale, normalize, take) and split statements. Every
// node is materialised as soon as it is built, so unreadable files and empty
// results are reported at the expression that caused them.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "compiler/check/checker_state.hpp"

namespace tl::check {

namespace {

std::string join_path(const std::string& dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || dir.empty() || dir == ".") return path;
  return dir + "/" + path;
}

int label_value(const ast::Number& n) {
  const std::int64_t v = integer(n, "a label");
  if (v < 0 || v > 255) fail(n, "labels are between 0 and 255, not " + n.text);
  return static_cast<int>(v);
}

/// The labels a predicate or a relabel map names: numbers as written, class
/// names (`"cat"`) through the data's class names.
struct Labels {
  const std::vector<std::string>& names;
  const std::string& data;  // the dataset, for messages

  static ast::Number as_number(const ast::LabelRef& l) {
    ast::Number n;
    static_cast<ast::Located&>(n) = l;
    n.text = l.text;
    return n;
  }
  /// The label `l` names (any whole number for a number; fails for a name
  /// the data does not have).
  std::int64_t value(const ast::LabelRef& l) const {
    if (!l.is_name) return integer(as_number(l), "a label");
    const auto it = std::find(names.begin(), names.end(), l.text);
    if (it != names.end()) return it - names.begin();
    if (names.empty())
      fail(l, fmt::format("\"{}\" names a class, but {} has no class names: its labels are numbers", l.text, data),
           "write the label's number");
    const std::string near = closest(l.text, names);
    fail(l, fmt::format("{} has no class named \"{}\"", data, l.text),
         (near.empty() ? "" : fmt::format("did you mean \"{}\"? ", near)) +
             fmt::format("its classes: {}", fmt::join(names, ", ")));
  }
  /// A label of a relabel map: a byte.
  int byte(const ast::LabelRef& l) const {
    if (!l.is_name) return label_value(as_number(l));
    return static_cast<int>(value(l));
  }
};

/// Evaluates a label predicate for one label value.
bool holds(const ast::PredOr& p, int label, const Labels& labels);

bool holds_atom(const ast::PredAtom& atom, int label, const Labels& labels) {
  struct Visitor {
    int label;
    const Labels& labels;
    bool operator()(const ast::Comparison& c) const {
      if (c.value.is_name && c.op != "==" && c.op != "!=")
        fail(c.value, "class names have no order: '" + c.op + "' compares numbers",
             "compare a class name with == or !=, or list classes with label in {\"a\", \"b\"}");
      const auto v = labels.value(c.value);
      if (c.op == "<") return label < v;
      if (c.op == "<=") return label <= v;
      if (c.op == ">") return label > v;
      if (c.op == ">=") return label >= v;
      if (c.op == "==") return label == v;
      return label != v;
    }
    bool operator()(const ast::Membership& m) const {
      return std::any_of(m.values.begin(), m.values.end(), [&](const ast::LabelRef& l) { return labels.value(l) == label; });
    }
    bool operator()(const x3::forward_ast<ast::PredNot>& n) const { return !holds_atom(n.get().operand, label, labels); }
    bool operator()(const x3::forward_ast<ast::PredOr>& o) const { return holds(o.get(), label, labels); }
  };
  return boost::apply_visitor(Visitor{label, labels}, atom);
}

bool holds(const ast::PredOr& p, int label, const Labels& labels) {
  return std::any_of(p.terms.begin(), p.terms.end(), [&](const ast::PredAnd& a) {
    return std::all_of(a.terms.begin(), a.terms.end(), [&](const ast::PredAtom& t) { return holds_atom(t, label, labels); });
  });
}

/// The augmentations of `| augment { ... }` for samples of `shape` (H, W, C).
std::vector<AugmentSpec> augmentations(const ast::AugmentBlock& block, const ir::Shape& shape) {
  using Kind = AugmentSpec::Kind;
  static const std::vector<std::string> words = {"flip", "crop", "translate", "rotate", "brightness", "contrast", "noise"};
  std::vector<AugmentSpec> out;
  for (const ast::Setting& s : block.settings) {
    const std::string& key = s.key.text;
    AugmentSpec a;
    if (key == "flip") {
      const std::string which = choice(s.value, nullptr, "flip", {"horizontal", "vertical", "both"});
      a.kind = Kind::Flip;
      a.horizontal = which != "vertical";
      a.vertical = which != "horizontal";
    } else if (key == "crop") {
      a.kind = Kind::Crop;
      a.padding = static_cast<int>(at_least(s.value, nullptr, "crop padding", 1));
      if (a.padding > std::min(shape[0], shape[1]))
        fail(where(s.value), "crop pads " + describe(s.value) + " pixels on each side of " + shape_text(shape) +
                                 " images, more than they are high or wide",
             "a few pixels (4 for 32x32 images) is usual");
    } else if (key == "translate" || key == "rotate" || key == "brightness" || key == "contrast" || key == "noise") {
      const double v = number(s.value, nullptr, key);
      const double limit = key == "rotate" ? 180 : key == "noise" ? 1e6 : 1;
      const bool open_top = key == "translate" || key == "contrast";
      if (!(v > 0) || v > limit || (open_top && v >= limit))
        fail(where(s.value), fmt::format("{} must be in (0, {}{}, not {}", key, limit, open_top ? ")" : "]", describe(s.value)),
             key == "rotate" ? "degrees: rotate 15 turns images by up to 15 degrees either way"
             : key == "noise" ? "the standard deviation of the noise, in the values the model sees"
                              : "a fraction: " + key + " 0.2 is up to 20%");
      a.kind = key == "translate" ? Kind::Translate : key == "rotate" ? Kind::Rotate : key == "brightness" ? Kind::Brightness
               : key == "contrast" ? Kind::Contrast : Kind::Noise;
      a.amount = v;
    } else {
      const std::string best = closest(key, words);
      fail(s.key, "unknown augmentation '" + key + "'",
           (best.empty() ? "" : "did you mean '" + best + "'? ") +
               "augmentations are flip, crop, translate, rotate, brightness, contrast and noise");
    }
    out.push_back(a);
  }
  if (out.empty()) fail(block, "augment { } lists no augmentation", "e.g. augment { flip horizontal  crop 4 }");
  return out;
}

}  // namespace

DataFacts CheckerState::materialise(int index, const ast::Located& at) {
  try {
    return data.facts(exp, index);
  } catch (const DataFileError& e) {
    fail(at, "cannot read the data: " + e.where() + ": " + e.message(), e.hint());
  }
}

Symbol CheckerState::data_symbol(const ast::Expr& e, const std::string& display) {
  const ast::Call* call = as_call(e);
  if (call && call->callee.text == "idx" && e.stages.empty()) {
    const BoundArgs args(*call, {{"name"}, {"images"}, {"labels"}}, "idx()");
    if (args.slot(0)) {
      if (args.slot(1) || args.slot(2))
        fail(*call, "idx() takes either a dataset name or images= and labels= paths, not both");
      const std::string name = string_value(*args.slot(0), nullptr, "the dataset name");
      const auto found = data.locate(name, options.data_dirs);
      const std::string best = found ? "" : closest(name, data.available(options.data_dirs));
      if (!found)
        fail(where(*args.slot(0)), "dataset \"" + name + "\" not found",
             (best.empty() ? "" : "did you mean \"" + best + "\"?\n  ") + data.describe_search(name, options.data_dirs) +
                 "\n  run scripts/setup.sh to fetch MNIST and Fashion-MNIST, or set TL_DATA_PATH");
      Symbol s;
      s.kind = Symbol::Kind::Collection;
      for (int part = 0; part < 2; ++part) {
        DataNode node;
        node.kind = DataNode::Kind::Files;
        node.images_path = part == 0 ? found->train_images : found->test_images;
        node.labels_path = part == 0 ? found->train_labels : found->test_labels;
        node.display = display + (part == 0 ? ".train" : ".test");
        node.where = {call->offset, call->length};
        exp.data.push_back(node);
        const int index = static_cast<int>(exp.data.size()) - 1;
        exp.data[static_cast<std::size_t>(index)].sample_shape = materialise(index, *call).sample_shape;
        (part == 0 ? s.train : s.test) = index;
      }
      return s;
    }
    if (!args.slot(1) || !args.slot(2))
      fail(*call, "idx() needs a dataset name, or both images= and labels= paths",
           "e.g. idx(\"mnist\") or idx(images = \"imgs.idx3\", labels = \"labels.idx1\")");
  }
  Symbol s;
  s.kind = Symbol::Kind::Dataset;
  s.index = dataset(e);
  exp.data[static_cast<std::size_t>(s.index)].display = display;
  return s;
}

int CheckerState::dataset_path(const std::vector<std::string>& parts, const ast::Located& at) {
  const Symbol& s = lookup(parts[0], at, "a dataset");
  if (s.kind == Symbol::Kind::Collection) {
    if (parts.size() != 2 || (parts[1] != "train" && parts[1] != "test"))
      fail(at, "'" + parts[0] + "' has two parts, train and test",
           "write " + parts[0] + ".train or " + parts[0] + ".test");
    return parts[1] == "train" ? s.train : s.test;
  }
  if (s.kind == Symbol::Kind::Dataset) {
    if (parts.size() > 1) fail(at, "dataset '" + parts[0] + "' has no part named '" + parts[1] + "'");
    return s.index;
  }
  fail(at, "'" + parts[0] + "' is a model, but a dataset is needed here");
}

int CheckerState::source_node(DataNode n, const std::string& source_name, const ast::Call& call) {
  n.display = source_name + "(" + n.images_path + ")";
  n.where = {call.offset, call.length};
  exp.data.push_back(std::move(n));
  const int node = static_cast<int>(exp.data.size()) - 1;
  exp.data.back().sample_shape = materialise(node, call).sample_shape;
  return node;
}

const ir::Shape& CheckerState::node_shape(int node) const { return exp.data[static_cast<std::size_t>(node)].sample_shape; }

int CheckerState::image_folder(const ast::Call& call) {
  const BoundArgs args(call, {{"folder", true}, {"size"}, {"color"}, {"on_error"}}, "images()");
  DataNode n;
  n.kind = DataNode::Kind::Images;
  n.images_path = join_path(source.directory(), string_value(*args.slot(0), nullptr, "the folder"));
  if (const ast::Expr* size = args.slot(1)) {
    const auto [h, w] = window(*size, nullptr, "size");
    if (h > 8192 || w > 8192)
      fail(where(*size), "size " + describe(*size) + " is larger than tl resizes images to (8192 a side)");
    n.image_height = h;
    n.image_width = w;
  }
  if (const ast::Expr* color = args.slot(2))
    n.image_channels = choice(*color, nullptr, "color", {"gray", "rgb"}) == "gray" ? 1 : 3;
  if (const ast::Expr* on_error = args.slot(3))
    n.skip_bad = choice(*on_error, nullptr, "on_error", {"stop", "skip"}) == "skip";
  return source_node(std::move(n), "images", call);
}

int CheckerState::npy_source(const ast::Call& call) {
  const BoundArgs args(call, {{"samples", true}, {"labels"}}, "npy()");
  DataNode n;
  n.kind = DataNode::Kind::Npy;
  n.images_path = join_path(source.directory(), string_value(*args.slot(0), nullptr, "the samples file"));
  if (args.slot(1)) n.labels_path = join_path(source.directory(), string_value(*args.slot(1), nullptr, "the labels file"));
  return source_node(std::move(n), "npy", call);
}

int CheckerState::csv_source(const ast::Call& call) {
  const BoundArgs args(call, {{"file", true}, {"label"}, {"delimiter"}}, "csv()");
  DataNode n;
  n.kind = DataNode::Kind::Csv;
  n.images_path = join_path(source.directory(), string_value(*args.slot(0), nullptr, "the CSV file"));
  if (args.slot(1)) {
    n.label_column = string_value(*args.slot(1), nullptr, "the label column");
    if (n.label_column.empty()) fail(where(*args.slot(1)), "the label column's name is empty", "leave label out for a table without labels");
  }
  if (const ast::Expr* d = args.slot(2)) {
    const std::string text = string_value(*d, nullptr, "the delimiter");
    const std::string delimiter = text == "\\t" ? "\t" : text;
    if (delimiter.size() != 1 || delimiter == "\"" || delimiter == "\n" || delimiter == "\r")
      fail(where(*d), "the delimiter must be one character other than a quote or a line break, not \"" + text + "\"",
           "e.g. delimiter = \";\" or delimiter = \"\\t\" for tabs");
    n.delimiter = delimiter[0];
  }
  return source_node(std::move(n), "csv", call);
}

int CheckerState::dataset(const ast::Expr& e) {
  // 1. The source: a path to a dataset or collection part, or idx(files).
  int node = -1;
  if (const ast::Call* call = as_call(e); call && call->callee.text == "images") {
    node = image_folder(*call);
  } else if (call && call->callee.text == "npy") {
    node = npy_source(*call);
  } else if (call && call->callee.text == "csv") {
    node = csv_source(*call);
  } else if (call) {
    if (call->callee.text != "idx") {
      auto it = symbols.find(call->callee.text);
      if (it != symbols.end() && it->second.kind == Symbol::Kind::ModelDef)
        fail(*call, call->callee.text + " is a model, but a dataset is needed here");
      const std::string best = closest(call->callee.text, {"idx", "images", "npy", "csv"});
      fail(call->callee, "unknown data source '" + call->callee.text + "'",
           (best.empty() ? "" : "did you mean " + best + "()? ") +
               "datasets come from idx(\"mnist\"), idx(images = \"...\", labels = \"...\"), images(\"folder\"), "
               "npy(\"x.npy\", labels = \"y.npy\") or csv(\"table.csv\", label = \"column\")");
    }
    const BoundArgs args(*call, {{"name"}, {"images"}, {"labels"}}, "idx()");
    if (args.slot(0))
      fail(*call, "idx(\"" + string_value(*args.slot(0), nullptr, "the name") + "\") has two parts, train and test",
           "name it first (mnist = idx(\"mnist\")) and use mnist.train or mnist.test");
    if (!args.slot(1) || !args.slot(2)) fail(*call, "idx() needs both images= and labels= paths");
    DataNode n;
    n.kind = DataNode::Kind::Files;
    n.images_path = join_path(source.directory(), string_value(*args.slot(1), nullptr, "images"));
    n.labels_path = join_path(source.directory(), string_value(*args.slot(2), nullptr, "labels"));
    n.display = "idx(" + n.images_path + ")";
    n.where = {call->offset, call->length};
    exp.data.push_back(n);
    node = static_cast<int>(exp.data.size()) - 1;
    exp.data.back().sample_shape = materialise(node, *call).sample_shape;
  } else if (auto* path = boost::get<ast::Path>(&e.head.get())) {
    node = dataset_path(path->parts, *path);
  } else {
    fail(where(e), "expected a dataset, not " + describe(e));
  }

  // 2. The pipeline stages, each materialised to catch empty results.
  for (const ast::Stage& stage : e.stages) {
    DataNode n;
    n.base = node;
    n.where = {stage.offset, stage.length};
    n.display = exp.data[static_cast<std::size_t>(node)].display + " | " + source.text().substr(stage.offset, stage.length);
    n.sample_shape = exp.data[static_cast<std::size_t>(node)].sample_shape;
    if ((stage.op == "where" || stage.op == "relabel") && !materialise(node, stage).labelled)
      fail(stage, "'" + stage.op + "' works on labels, but " + exp.data[static_cast<std::size_t>(node)].display +
                      " has none: its folder has no class folders",
           "put the images in one subfolder per class to give them labels");
    const std::string& base_name = exp.data[static_cast<std::size_t>(node)].display;
    if (stage.op == "where") {
      const auto& pred = boost::get<ast::PredOr>(stage.arg);
      const DataFacts base = materialise(node, stage);
      const Labels labels{base.class_names, base_name};
      n.kind = DataNode::Kind::Where;
      for (int label = 0; label < 256; ++label) n.keep[static_cast<std::size_t>(label)] = holds(pred, label, labels);
    } else if (stage.op == "relabel") {
      const auto& map = boost::get<ast::MapLit>(stage.arg);
      const DataFacts base = materialise(node, stage);
      const Labels labels{base.class_names, base_name};
      n.kind = DataNode::Kind::Relabel;
      for (int i = 0; i < 256; ++i) n.mapping[static_cast<std::size_t>(i)] = i;
      std::vector<bool> seen(256, false);
      for (const auto& entry : map.entries) {
        const int from = labels.byte(entry.key), to = label_value(entry.value);
        if (seen[static_cast<std::size_t>(from)])
          fail(entry.key, "label " + (entry.key.is_name ? "\"" + entry.key.text + "\"" : entry.key.text) + " is mapped twice");
        seen[static_cast<std::size_t>(from)] = true;
        n.mapping[static_cast<std::size_t>(from)] = to;
      }
    } else if (stage.op == "scale") {
      const auto& value = boost::get<ast::Number>(stage.arg);
      n.kind = DataNode::Kind::Scale;
      n.scale = number(value, "scale");
      if (!(n.scale > 0)) fail(value, "scale must be positive, not " + value.text, "pixels are usually scaled by 1/255");
    } else if (stage.op == "normalize") {
      n.kind = DataNode::Kind::Normalize;
      const DataFacts here = materialise(node, stage);
      const auto channels = static_cast<std::size_t>(here.sample_shape.empty() ? 1 : here.sample_shape.back());
      const char* unit = here.sample_shape.size() == 1 ? "feature" : "channel";
      if (const auto* ms = boost::get<ast::MeanStd>(&stage.arg)) {
        n.mean.clear();
        n.std.clear();
        // One value for every channel, or one per channel.
        auto values = [&](const std::vector<ast::Number>& given, const char* what, std::vector<double>& out) {
          if (given.size() != 1 && given.size() != channels)
            fail(given.back(),
                 fmt::format("{} {} values for data with {} {}{}", given.size(), what, channels, unit,
                             channels == 1 ? "" : "s"),
                 fmt::format("give one {} for every {}, or one per {} ({})", what, unit, unit, channels));
          for (const auto& v : given) out.push_back(number(v, what));
        };
        values(ms->mean, "mean", n.mean);
        values(ms->std, "std", n.std);
        for (std::size_t i = 0; i < n.std.size(); ++i)
          if (!(n.std[i] > 0))
            fail(ms->std[i], "std must be positive, not " + ms->std[i].text,
                 "give the standard deviation of the pixel values after the stages before it "
                 "(0.3081 for MNIST scaled by 1/255), or write normalize from DATASET");
      } else {
        // D's bytes measured under this pipeline's map so far, so the result
        // standardises the bytes as D's are (whatever the stages before it).
        const auto& from = boost::get<ast::NormalizeFrom>(stage.arg);
        const int source_node = dataset_path(from.dataset, from);
        const DataFacts source = materialise(source_node, from);  // its files are readable
        n.stats_from = exp.data[static_cast<std::size_t>(source_node)].display;
        if (from.per_channel && source.sample_shape != here.sample_shape)
          fail(from, fmt::format("{} holds samples of shape {}, but this data's are {}: per-{} statistics need the same {}s",
                                 n.stats_from, ir::to_string(source.sample_shape), ir::to_string(here.sample_shape),
                                 unit, unit),
               "normalize from a dataset read the same way (same size and color)");
        ByteStats bytes;
        try {
          bytes = data.byte_stats(exp, source_node);
        } catch (const DataFileError& e) {
          fail(from, "cannot read the data: " + e.where() + ": " + e.message(), e.hint());
        }
        std::vector<double> means = {bytes.mean}, stds = {bytes.std};
        if (from.per_channel) {
          means = bytes.channel_mean;
          stds = bytes.channel_std;
        }
        for (std::size_t c = 0; c < means.size(); ++c)
          if (!(stds[c] > 0))
            fail(from,
                 means.size() == 1 ? fmt::format("every pixel of {} is the byte {}: there is no spread to normalize by",
                                                 n.stats_from, means[c])
                                   : fmt::format("{} {} of {} is always {}: there is no spread to normalize by", unit,
                                                 c, n.stats_from, means[c]),
                 "normalize from a dataset whose values vary, or give mean M std S");
        // The statistics of the bytes under this node's map so far (linear:
        // mean * scale + offset, std * scale), per channel when either the
        // statistics or the map are.
        n.mean.clear();
        n.std.clear();
        const bool per_channel = means.size() > 1 || here.pixels.per_channel();
        for (std::size_t c = 0; c < (per_channel ? channels : 1); ++c) {
          const std::size_t stat = means.size() > 1 ? c : 0;
          n.mean.push_back(means[stat] * here.pixels.scale_of(c) + here.pixels.offset_of(c));
          n.std.push_back(stds[stat] * std::abs(here.pixels.scale_of(c)));
        }
      }
    } else if (stage.op == "augment") {
      n.kind = DataNode::Kind::Augment;
      const DataFacts here = materialise(node, stage);
      if (!here.bytes || node_shape(node).size() != 3)
        fail(stage, "augment changes images, but " + exp.data[static_cast<std::size_t>(node)].display + " holds " +
                        (here.bytes ? "vectors" : "float values"),
             "augment image data: image folders, IDX files or uint8 NumPy images");
      n.augment = augmentations(boost::get<x3::forward_ast<ast::AugmentBlock>>(stage.arg).get(), node_shape(node));
    } else if (stage.op == "take") {
      const auto& value = boost::get<ast::Number>(stage.arg);
      n.kind = DataNode::Kind::Take;
      n.count = integer(value, "take");
      if (n.count < 1) fail(value, "take needs at least 1 sample, not " + value.text);
    } else {
      fail(stage, "'" + stage.op + "' applies to models, not to datasets",
           "datasets take where, relabel, scale, normalize, augment and take; models are derived with copy(m) | " +
               stage.op + " ...");
    }
    exp.data.push_back(n);
    node = static_cast<int>(exp.data.size()) - 1;
    const DataFacts result = materialise(node, stage);
    if (result.size == 0)
      fail(stage, "no samples are left after this stage", "check the predicate against the dataset's labels");
    // The runtime rounds the map to float once (data::PixelMap).
    const std::size_t map_channels = result.pixels.per_channel() ? result.pixels.channel_scale.size() : 1;
    for (std::size_t c = 0; c < map_channels; ++c) {
      const float scale = result.pixels.float_scale(c), offset = result.pixels.float_offset(c);
      if (!std::isfinite(scale) || scale == 0 || !std::isfinite(offset))
        fail(stage,
             fmt::format("this stage maps pixels{} to float(byte) * {} + {}, outside what a float holds",
                         result.pixels.per_channel() ? fmt::format(" of channel {}", c) : "", result.pixels.scale_of(c),
                         result.pixels.offset_of(c)),
             "pixel values should stay near 0..1 or standardised: check the numbers of scale and normalize");
    }
  }
  return node;
}

void CheckerState::split(const ast::SplitStmt& s) {
  SplitSpec spec;
  spec.base = dataset(s.source);
  spec.where = {s.offset, s.length};
  double total = 0;
  for (const auto& part : s.parts) {
    const double f = number(part.fraction, "a split fraction");
    if (!(f > 0 && f <= 1)) fail(part.fraction, "a split fraction must be in (0, 1], not " + part.fraction.text);
    total += f;
    spec.fractions.push_back(f);
  }
  if (total > 1 + 1e-9)
    fail(s.parts.back().fraction, "the split fractions add up to " + std::to_string(total).substr(0, 6) + ", more than 1");
  if (s.shuffle) spec.seed = s.shuffle->seed ? static_cast<std::uint64_t>(integer(*s.shuffle->seed, "seed")) : exp.seed;
  spec.stratified = s.stratified.has_value();
  if (spec.stratified && !materialise(spec.base, s.source).labelled)
    fail(where(s.source), "a stratified split keeps each label's share, but " +
                              exp.data[static_cast<std::size_t>(spec.base)].display + " has no labels",
         "split it without 'stratified'");
  exp.splits.push_back(spec);
  const int split_index = static_cast<int>(exp.splits.size()) - 1;
  for (std::size_t i = 0; i < s.parts.size(); ++i) {
    DataNode n;
    n.kind = DataNode::Kind::SplitPart;
    n.split = split_index;
    n.part = static_cast<int>(i);
    n.display = s.parts[i].name.text;
    n.sample_shape = exp.data[static_cast<std::size_t>(spec.base)].sample_shape;
    n.where = {s.parts[i].offset, s.parts[i].length};
    exp.data.push_back(n);
    const int index = static_cast<int>(exp.data.size()) - 1;
    if (materialise(index, s.parts[i]).size == 0)
      fail(s.parts[i], "split part '" + s.parts[i].name.text + "' gets no samples",
           "the dataset has " + std::to_string(materialise(spec.base, s.source).size) + " samples; use a larger fraction");
    Symbol sym;
    sym.kind = Symbol::Kind::Dataset;
    sym.index = index;
    define(s.parts[i].name, sym);
  }
}

}  // namespace tl::check
