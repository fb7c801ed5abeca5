// Private to the checker: the symbol table and the state shared by the
// statement walk (checker.cpp), dataset expressions (datasets.cpp) and
// training settings (training.cpp).
#pragma once

#include <map>
#include <string>

#include "compiler/check/checker.hpp"
#include "compiler/check/check_error.hpp"
#include "compiler/check/values.hpp"

namespace tl::check {

struct Symbol {
  enum class Kind { Dataset, Collection, ModelDef, Model, Poisoned } kind = Kind::Poisoned;
  int index = -1;                     // Dataset: data node; Model: model index
  int train = -1, test = -1;          // Collection: its parts' data nodes
  const ast::ModelDef* def = nullptr; // ModelDef
  std::uint32_t offset = 0;           // where it was defined
};

struct CheckerState {
  const SourceFile& source;
  DataSource& data;
  const CheckOptions& options;
  Experiment exp;
  std::map<std::string, Symbol> symbols;
  std::map<std::string, int> last_train_data;  // model name -> data node of its latest train step so far

  /// Defines `name` or fails if it is taken (pointing at the old definition).
  void define(const ast::Name& name, Symbol symbol);
  /// The symbol for `name`; fails for an unknown name (suggesting a close
  /// one), throws PoisonedName for a name whose definition failed.
  const Symbol& lookup(const ast::Name& name, const std::string& wanted);
  const Symbol& lookup(const std::string& name, const ast::Located& at, const std::string& wanted);

  // datasets.cpp
  /// Evaluates a dataset expression to a data node, loading what it needs.
  int dataset(const ast::Expr& e);
  /// The data node a dataset path names: `name` (a dataset) or
  /// `collection.train` / `collection.test`; fails at `at` otherwise.
  int dataset_path(const std::vector<std::string>& parts, const ast::Located& at);
  /// `images("folder", size = HxW, color = gray|rgb, on_error = stop|skip)`.
  int image_folder(const ast::Call& call);
  /// Adds the source node `n` read by `call` (`images`, `npy`, `csv`), named
  /// after it, and reads its data (the sample shape); returns its index.
  int source_node(DataNode n, const std::string& source_name, const ast::Call& call);
  /// The sample shape of data node `node`.
  const ir::Shape& node_shape(int node) const;
  /// `npy("x.npy", labels = "y.npy")`.
  int npy_source(const ast::Call& call);
  /// `csv("table.csv", label = "column", delimiter = ",")`.
  int csv_source(const ast::Call& call);
  /// `x = idx(...)` or any dataset expression: defines a Dataset or Collection.
  Symbol data_symbol(const ast::Expr& e, const std::string& display);
  /// The facts of node `index`, reading its files; a file problem becomes a
  /// diagnostic at `at`.
  DataFacts materialise(int index, const ast::Located& at);
  void split(const ast::SplitStmt& s);

  // transfer.cpp
  /// `copy(m) | stages` or `fresh(m) | stages`: a derived model named `name`.
  ModelSpec derive(const ast::Expr& e, const std::string& name, const ast::Located& at);

  // training.cpp
  /// The settings of a train statement (`statement`: where it is).
  TrainConfig train_config(const std::vector<ast::Setting>& settings, const ModelSpec& model, const ast::Located& statement);
  std::int64_t eval_batch(const std::vector<ast::Setting>& settings);
  /// An evaluate step's settings: batch, top K, predictions all|wrong.
  void eval_settings(const std::vector<ast::Setting>& settings, const ModelSpec& model, Step& step);
  /// The model must accept the data's samples and have an output per label.
  void check_fit(const ModelSpec& model, int data, const ast::Located& data_at, const ast::Located& model_at);
  /// The data's class names must agree with those the model was trained on
  /// (its last train step so far, or its model file), where both have names.
  void check_class_names(const ModelSpec& model, int data, const ast::Located& data_at);
};

}  // namespace tl::check
