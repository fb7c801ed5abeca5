// The .tl abstract syntax tree. Every node that a diagnostic can point at
// derives from Located, which the parser fills with the byte offset and length
// of the text the node was parsed from (see grammar_def.hpp, annotate_offset).
#pragma once

#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include <cstdint>
#include <deque>
#include <boost/optional.hpp>
#include <string>
#include <vector>

namespace tl::ast {

namespace x3 = boost::spirit::x3;

/// Byte range in the source text; offset/length are 0 for synthesised nodes.
struct Located {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

/// An identifier: `seed_cnn`, `relu`, `classes`.
struct Name : Located {
  std::string text;
};

/// A number as written: `64`, `0.3`, `1e-3`, `1/255`. The checker converts it
/// (and complains where an integer or a range is required).
struct Number : Located {
  std::string text;
};

/// A shape or window literal: `3x3`, `28x28x1`.
struct Dims : Located {
  std::vector<unsigned> values;
};

struct String : Located {
  std::string text;
};

/// `mnist.train`: a name with optional members.
struct Path : Located {
  std::vector<std::string> parts;
};

struct Call;

using Primary = x3::variant<Dims, Number, String, x3::forward_ast<Call>, Path>;

// --- label predicates: `label < 7`, `label in {7, 8}`, `not (...)`, and/or ----
/// A label in a predicate or a relabel map: a number (`7`) or, where the
/// data has class names, a name in quotes (`"cat"`).
struct LabelRef : Located {
  std::string text;      // the number as written, or the name (unquoted)
  bool is_name = false;  // a quoted class name
};

struct Comparison : Located {
  std::string subject;  // "label"
  std::string op;       // < <= > >= == !=
  LabelRef value;
};

struct Membership : Located {
  std::string subject;  // "label"
  std::vector<LabelRef> values;
};

struct PredNot;
struct PredOr;
using PredAtom = x3::variant<Comparison, Membership, x3::forward_ast<PredNot>, x3::forward_ast<PredOr>>;

struct PredAnd : Located {
  std::vector<PredAtom> terms;
};

struct PredOr : Located {
  std::vector<PredAnd> terms;
};

struct PredNot : Located {
  std::string keyword;  // "not"
  PredAtom operand;
};

/// `{7: 0, 8: 1}`
struct MapEntry : Located {
  LabelRef key;
  Number value;
};

struct MapLit : Located {
  std::vector<MapEntry> entries;
};

struct LayerLine;

/// `{ dense(3, softmax) }`: new layers appended to a derived model.
struct LayerBlock : Located {
  std::vector<x3::forward_ast<LayerLine>> layers;
};

/// `all`, `reused`, or layer names: `conv2d, dense`.
struct NameList : Located {
  std::vector<Name> names;
};

/// `conv2d: 0.1` in `| lr {conv2d: 0.1, dense: 0.5}`.
struct LayerFactor : Located {
  Name layer;
  Number factor;
};

struct LayerFactors : Located {
  std::vector<LayerFactor> entries;
};

/// `mean 0.1307 std 0.3081` in `| normalize mean 0.1307 std 0.3081`, or one
/// value per channel: `mean 0.485, 0.456, 0.406 std 0.229, 0.224, 0.225`.
struct MeanStd : Located {
  std::vector<Number> mean;
  std::vector<Number> std;
};

/// `from train_raw` in `| normalize from train_raw`: a dataset path
/// (`name` or `collection.part`), located at `from ...`; `per channel`
/// after it takes each channel's statistics.
struct NormalizeFrom : Located {
  std::vector<std::string> dataset;
  bool per_channel = false;
};

struct AugmentBlock;
using StageArg = x3::variant<PredOr, MapLit, Number, LayerBlock, x3::forward_ast<Call>, NameList, LayerFactors,
                             MeanStd, NormalizeFrom, x3::forward_ast<AugmentBlock>>;

/// One step of a pipeline. Datasets: `| where label < 7`, `| relabel {...}`,
/// `| scale 1/255`, `| normalize mean 0.1307 std 0.3081`, `| normalize from d`,
/// `| take 1000`. Models: `| drop 1`, `| cut dense`,
/// `| append { ... }`, `| append head(m, 1)`, `| freeze ...`, `| unfreeze ...`,
/// `| reinit ...`, `| lr {layer: factor, ...}`. Training data: `| augment { ... }`.
struct Stage : Located {
  std::string op;
  StageArg arg;
};

/// A primary followed by pipeline stages: `mnist.train | where label < 7`.
struct Expr : Located {
  Primary head;
  std::vector<Stage> stages;
};

/// `name = value` or a positional `value` inside a call.
struct Arg : Located {
  boost::optional<Name> keyword;
  Expr value;
};

/// `conv2d(10, 3x3, padding = same)`, `seed_cnn(10)`, `idx("mnist")`.
struct Call : Located {
  Name callee;
  std::vector<Arg> args;
};

// --- statements --------------------------------------------------------------

/// `name` or `name = default` in a model's parameter list.
struct Param : Located {
  Name name;
  boost::optional<Expr> default_value;
};

/// One line of a model body: `[label:] layer(args) [from value]`.
struct LayerLine : Located {
  boost::optional<Name> label;
  Call call;
  boost::optional<Name> from;
};

/// `model name(params) { layer lines }`
struct ModelDef : Located {
  Name name;
  std::vector<Param> params;
  std::vector<LayerLine> layers;
};

/// `name = expression`: a dataset or a model instance.
struct Assign : Located {
  Name name;
  Expr value;
};

/// `name fraction` inside a split.
struct SplitPart : Located {
  Name name;
  Number fraction;
};

/// `shuffled [seed N]`
struct Shuffle : Located {
  std::string keyword;  // "shuffled"
  boost::optional<Number> seed;
};

/// `split expr into a 0.8, b 0.2 [stratified] [shuffled [seed N]]`
struct SplitStmt : Located {
  Expr source;
  std::vector<SplitPart> parts;
  boost::optional<std::string> stratified;  // "stratified" when written
  boost::optional<Shuffle> shuffle;
};

/// `key value` inside a train or evaluate block.
struct Setting : Located {
  Name key;
  Expr value;
};

/// `{ flip horizontal  crop 4 }` in `| augment { ... }`: augmentations, in order.
struct AugmentBlock : Located {
  std::vector<Setting> settings;
};

/// `train model on data { settings }`
struct TrainStmt : Located {
  Name model;
  Expr data;
  std::vector<Setting> settings;
};

/// `evaluate model on data [{ settings }]`
struct EvalStmt : Located {
  Name model;
  Expr data;
  std::vector<Setting> settings;
};

/// `compare a, b, ... on data [{ settings }]`: the side-by-side report.
struct CompareStmt : Located {
  std::vector<Name> models;
  Expr data;
  std::vector<Setting> settings;
};

/// `summary model`
struct SummaryStmt : Located {
  std::string keyword;  // "summary"
  Name model;
};

/// `export model to "file.onnx"` (or "file.safetensors"): the model as it is
/// at this point of the script, written into the run folder.
struct ExportStmt : Located {
  std::string keyword;  // "export"
  Name model;
  String path;
};

/// `seed N`: the experiment's default seed (tlc --seed overrides it).
struct SeedStmt : Located {
  std::string keyword;  // "seed"
  Number value;
};

/// `repeat 5` or `repeat seeds 1, 7, 42`: run the whole experiment once per
/// seed and report every figure over the seeds.
struct RepeatStmt : Located {
  std::string keyword;        // "repeat"
  bool seed_list = false;     // `repeat seeds ...`: `values` are the seeds; else values[0] is the count
  std::vector<Number> values;
};

using Statement =
    x3::variant<ModelDef, SplitStmt, TrainStmt, EvalStmt, CompareStmt, SummaryStmt, ExportStmt, SeedStmt, RepeatStmt, Assign>;

/// Statements in a deque: a script of a million statements grows it without
/// the vector's copy at each doubling (the peak memory of checking a huge
/// script; see tests/cli "huge script"), and the checker's pointers into it
/// stay valid.
struct Program {
  std::deque<Statement> statements;
};

}  // namespace tl::ast
