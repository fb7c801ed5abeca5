// The statement walk of the checker (see checker.hpp): definitions, model
// instances, datasets, splits and steps, with a symbol table. A statement
// that fails poisons the names it would have defined, so later statements
// that use them are skipped instead of producing follow-on errors.
#include "compiler/check/checker.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "compiler/check/checker_state.hpp"
#include "compiler/check/models.hpp"
#include "dsl/diagnostics.hpp"

namespace tl::check {

namespace {

const char* kind_name(Symbol::Kind k) {
  switch (k) {
    case Symbol::Kind::Dataset: return "a dataset";
    case Symbol::Kind::Collection: return "a dataset with train and test parts";
    case Symbol::Kind::ModelDef: return "a model definition";
    case Symbol::Kind::Model: return "a model";
    case Symbol::Kind::Poisoned: return "an invalid definition";
  }
  return "?";
}

}  // namespace

void CheckerState::define(const ast::Name& name, Symbol symbol) {
  if (auto it = symbols.find(name.text); it != symbols.end()) {
    const LineCol at = source.line_col(it->second.offset);
    fail(name, "'" + name.text + "' is already defined on line " + std::to_string(at.line),
         "choose another name; names are never rebound");
  }
  symbol.offset = name.offset;
  symbols[name.text] = symbol;
}

const Symbol& CheckerState::lookup(const ast::Name& name, const std::string& wanted) {
  return lookup(name.text, name, wanted);
}

const Symbol& CheckerState::lookup(const std::string& name, const ast::Located& at, const std::string& wanted) {
  auto it = symbols.find(name);
  if (it == symbols.end()) {
    std::vector<std::string> names;
    for (const auto& [candidate, _] : symbols) names.push_back(candidate);
    const std::string best = closest(name, names);
    fail(at, "unknown name '" + name + "'", best.empty() ? "it must be defined before it is used, as " + wanted
                                                         : "did you mean '" + best + "'?");
  }
  if (it->second.kind == Symbol::Kind::Poisoned) throw PoisonedName{};
  return it->second;
}

namespace {

/// Defines the model of `a` and adds the step that gives it its weights.
Step& add_model(CheckerState& st, const ast::Assign& a, ModelSpec spec, Step::Kind kind) {
  spec.where = {a.offset, a.length};
  st.exp.models.push_back(std::move(spec));
  Symbol s;
  s.kind = Symbol::Kind::Model;
  s.index = static_cast<int>(st.exp.models.size()) - 1;
  st.define(a.name, s);
  Step step;
  step.kind = kind;
  step.model = s.index;
  step.where = {a.offset, a.length};
  st.exp.steps.push_back(step);
  return st.exp.steps.back();
}

/// `name = value`: a model instance or a dataset.
void assign(CheckerState& st, const ast::Assign& a) {
  const ast::Call* call = as_call(a.value);
  const bool onnx = call && call->callee.text == "onnx";
  if (call && (call->callee.text == "load" || onnx) && a.value.stages.empty()) {
    const std::string what = onnx ? "onnx()" : "load()";
    const BoundArgs args(*call, {{"file", true}}, what);
    std::string path = string_value(*args.slot(0), nullptr, onnx ? "the ONNX file" : "the model file");
    if (!path.empty() && path[0] != '/' && st.source.directory() != ".") path = st.source.directory() + "/" + path;
    const auto& reader = onnx ? st.options.import_onnx : st.options.load_model;
    if (!reader) fail(*call, what + " is not available here", "model files are loaded by tlc and by the tl library");
    ModelSpec spec;
    try {
      spec = reader(path);
    } catch (const DataFileError& e) {
      fail(where(*args.slot(0)), std::string(onnx ? "cannot import the ONNX model: " : "cannot load the model: ") + e.where() +
                                     ": " + e.message(),
           e.hint());
    }
    spec.name = a.name.text;
    Step& step = add_model(st, a, std::move(spec), Step::Kind::Load);
    step.path = path;
    step.format = onnx ? Step::Format::Onnx : Step::Format::Tl;
    return;
  }
  if (call && (call->callee.text == "copy" || call->callee.text == "fresh")) {
    add_model(st, a, st.derive(a.value, a.name.text, a), Step::Kind::Derive);
    return;
  }
  if (call) {
    auto it = st.symbols.find(call->callee.text);
    if (it != st.symbols.end() && it->second.kind == Symbol::Kind::ModelDef && !a.value.stages.empty())
      fail(a.value.stages.front(), "a new model takes no pipeline stages",
           "derive from it instead: t = copy(" + a.name.text + ") | ...");
    if (it != st.symbols.end() && it->second.kind == Symbol::Kind::ModelDef) {
      ModelSpec spec = instantiate(*it->second.def, *call, a.name.text);
      spec.where = {a.offset, a.length};
      st.exp.models.push_back(std::move(spec));
      Symbol s;
      s.kind = Symbol::Kind::Model;
      s.index = static_cast<int>(st.exp.models.size()) - 1;
      st.define(a.name, s);
      return;
    }
    if (it != st.symbols.end() && it->second.kind == Symbol::Kind::Poisoned) throw PoisonedName{};
    if (call->callee.text != "idx" && call->callee.text != "images" && call->callee.text != "npy" &&
        call->callee.text != "csv" && it == st.symbols.end()) {
      std::vector<std::string> definitions;
      for (const auto& [name, symbol] : st.symbols)
        if (symbol.kind == Symbol::Kind::ModelDef) definitions.push_back(name);
      const std::string best = closest(call->callee.text, definitions);
      fail(call->callee, "unknown model or data source '" + call->callee.text + "'",
           best.empty() ? "define it first with model " + call->callee.text + "(...) { ... }, or load data with idx(\"mnist\") or images(\"folder\")"
                        : "did you mean '" + best + "'?");
    }
  }
  if (auto* path = boost::get<ast::Path>(&a.value.head.get()); path && a.value.stages.empty()) {
    const Symbol& s = st.lookup(path->parts[0], *path, "a dataset or a model");
    if (s.kind == Symbol::Kind::Model || s.kind == Symbol::Kind::ModelDef)
      fail(*path, "'" + path->parts[0] + "' is " + kind_name(s.kind) + "; a new model is made by calling a definition",
           "e.g. net = seed_cnn(10)");
  }
  st.define(a.name, st.data_symbol(a.value, a.name.text));
}

const ModelSpec& model_of(CheckerState& st, const ast::Name& name) {
  const Symbol& s = st.lookup(name, "a model, e.g. net = seed_cnn(10)");
  if (s.kind != Symbol::Kind::Model)
    fail(name, "'" + name.text + "' is " + kind_name(s.kind) + ", not a model",
         s.kind == Symbol::Kind::ModelDef ? "make an instance first: net = " + name.text + "(...)" : "");
  return st.exp.models[static_cast<std::size_t>(s.index)];
}

int model_index(CheckerState& st, const ast::Name& name) {
  const ModelSpec& m = model_of(st, name);
  return static_cast<int>(&m - st.exp.models.data());
}

void statement(CheckerState& st, const ast::Statement& stmt) {
  struct Visitor {
    CheckerState& st;
    void operator()(const ast::ModelDef& def) const {
      std::vector<std::string> seen;
      for (const auto& p : def.params) {
        if (std::find(seen.begin(), seen.end(), p.name.text) != seen.end())
          fail(p.name, "model " + def.name.text + " has two parameters named '" + p.name.text + "'");
        seen.push_back(p.name.text);
      }
      Symbol s;
      s.kind = Symbol::Kind::ModelDef;
      s.def = &def;
      st.define(def.name, s);
    }
    void operator()(const ast::Assign& a) const { assign(st, a); }
    void operator()(const ast::SplitStmt& s) const { st.split(s); }
    void operator()(const ast::TrainStmt& t) const {
      Step step;
      step.kind = Step::Kind::Train;
      step.model = model_index(st, t.model);
      step.data = st.dataset(t.data);
      step.where = {t.offset, t.length};
      const ModelSpec& model = st.exp.models[static_cast<std::size_t>(step.model)];
      if (model.trainable_params() == 0)
        fail(t.model, "model '" + model.name + "' has no trainable parameters, so training it would change nothing",
             model.derived ? "unfreeze a layer (copy(m) | unfreeze dense) or append a new one"
                           : "give it a layer with weights, such as dense(classes, softmax)");
      st.check_fit(model, step.data, where(t.data), t.model);
      step.train = st.train_config(t.settings, model, t);
      st.exp.steps.push_back(step);
      st.last_train_data[model.name] = step.data;
    }
    void operator()(const ast::EvalStmt& e) const {
      Step step;
      step.kind = Step::Kind::Evaluate;
      step.model = model_index(st, e.model);
      step.data = st.dataset(e.data);
      step.where = {e.offset, e.length};
      st.check_fit(st.exp.models[static_cast<std::size_t>(step.model)], step.data, where(e.data), e.model);
      st.eval_settings(e.settings, st.exp.models[static_cast<std::size_t>(step.model)], step);
      st.exp.steps.push_back(step);
    }
    void operator()(const ast::CompareStmt& c) const {
      Step step;
      step.kind = Step::Kind::Compare;
      step.data = st.dataset(c.data);
      step.where = {c.offset, c.length};
      for (const ast::Name& n : c.models) {
        const int index = model_index(st, n);
        if (std::find(step.models.begin(), step.models.end(), index) != step.models.end())
          fail(n, "'" + n.text + "' is listed twice");
        st.check_fit(st.exp.models[static_cast<std::size_t>(index)], step.data, where(c.data), n);
        step.models.push_back(index);
      }
      if (step.models.size() < 2)
        fail(c, "compare needs at least two models", "e.g. compare scratch, transfer on target_test");
      step.model = step.models.front();
      step.eval_batch = st.eval_batch(c.settings);
      st.exp.steps.push_back(step);
    }
    void operator()(const ast::SummaryStmt& s) const {
      Step step;
      step.kind = Step::Kind::Summary;
      step.model = model_index(st, s.model);
      step.where = {s.offset, s.length};
      st.exp.steps.push_back(step);
    }
    void operator()(const ast::ExportStmt& s) const {
      Step step;
      step.kind = Step::Kind::Export;
      step.model = model_index(st, s.model);
      step.where = {s.offset, s.length};
      step.path = s.path.text;
      const std::string& p = step.path;
      auto ends_with = [&](const std::string& tail) {
        return p.size() > tail.size() && p.compare(p.size() - tail.size(), tail.size(), tail) == 0;
      };
      if (ends_with(".onnx")) step.format = Step::Format::Onnx;
      else if (ends_with(".safetensors")) step.format = Step::Format::Tl;
      else
        fail(s.path, "export writes a file named *.onnx (ONNX, opset 14) or *.safetensors (a tl model file), not \"" + p + "\"",
             "e.g. export " + s.model.text + " to \"" + s.model.text + ".onnx\"");
      if (p.find('\0') != std::string::npos || p.back() == '/')
        fail(s.path, "\"" + p + "\" is not a file name");
      st.exp.steps.push_back(step);
    }
    void operator()(const ast::SeedStmt&) const {}    // handled before the walk
    void operator()(const ast::RepeatStmt&) const {}  // likewise
  };
  boost::apply_visitor(Visitor{st}, stmt);
}

/// The names a statement defines, poisoned when the statement fails.
std::vector<const ast::Name*> defined_names(const ast::Statement& stmt) {
  std::vector<const ast::Name*> names;
  if (auto* d = boost::get<ast::ModelDef>(&stmt)) names.push_back(&d->name);
  if (auto* a = boost::get<ast::Assign>(&stmt)) names.push_back(&a->name);
  if (auto* s = boost::get<ast::SplitStmt>(&stmt))
    for (const auto& p : s->parts) names.push_back(&p.name);
  return names;
}

/// Errors reported before the checker stops. Plenty for a real script, and a
/// bound on the work a script full of mistakes causes: each unknown name is
/// compared with every defined one to suggest a spelling, so unbounded, a
/// large script of unknown names would take quadratic time.
constexpr std::size_t max_errors = 50;

const ast::Located& located(const ast::Statement& stmt) {
  return boost::apply_visitor([](const auto& s) -> const ast::Located& { return s; }, stmt);
}

/// The error, its hint, then its notes.
Diagnostic diagnostic_of(const SourceFile& source, const CheckError& e) {
  Diagnostic d = make_diagnostic(source, e.offset, e.length, e.message, e.hint);
  for (const CheckNote& note : e.notes) add_note(d, source, note.offset, note.length, note.message);
  return d;
}

}  // namespace

Experiment check(const ast::Program& program, const SourceFile& source, DataSource& data, const CheckOptions& options) {
  CheckerState st{source, data, options, {}, {}, {}};
  st.exp.script = source.name();
  std::vector<Diagnostic> errors;

  // The seed applies to the whole script, wherever it is written.
  const ast::SeedStmt* seed_stmt = nullptr;
  for (const auto& stmt : program.statements) {
    if (auto* s = boost::get<ast::SeedStmt>(&stmt)) {
      try {
        if (seed_stmt) fail(*s, "the seed is already set on line " + std::to_string(source.line_col(seed_stmt->offset).line));
        seed_stmt = s;
        st.exp.seed = static_cast<std::uint64_t>(integer(s->value, "seed"));
        if (integer(s->value, "seed") < 0) fail(s->value, "the seed must not be negative");
      } catch (const CheckError& e) {
        errors.push_back(diagnostic_of(source, e));
      }
    }
  }
  if (options.seed) st.exp.seed = *options.seed;
  // `repeat`: the seeds of the runs, from the seed above (or listed).
  const ast::RepeatStmt* repeat_stmt = nullptr;
  for (const auto& stmt : program.statements) {
    const auto* r = boost::get<ast::RepeatStmt>(&stmt);
    if (!r) continue;
    try {
      if (repeat_stmt)
        fail(*r, "the script already repeats on line " + std::to_string(source.line_col(repeat_stmt->offset).line));
      repeat_stmt = r;
      constexpr std::int64_t max_repeats = 1000;
      if (!r->seed_list) {
        if (r->values.size() != 1) fail(r->values[1], "repeat takes one count; to list the seeds, write repeat seeds 1, 2, 3");
        const std::int64_t n = integer(r->values[0], "repeat");
        if (n < 2 || n > max_repeats)
          fail(r->values[0], fmt::format("repeat needs 2 to {} runs, not {}", max_repeats, r->values[0].text),
               "5 seeds are a common choice; one run needs no repeat");
        for (std::int64_t i = 0; i < n; ++i) st.exp.repeat_seeds.push_back(st.exp.seed + static_cast<std::uint64_t>(i));
      } else {
        if (r->values.size() < 2 || r->values.size() > static_cast<std::size_t>(max_repeats))
          fail(r->values.front(), fmt::format("repeat seeds needs 2 to {} seeds, not {}", max_repeats, r->values.size()));
        for (const auto& v : r->values) {
          const std::int64_t seed = integer(v, "seed");
          if (seed < 0) fail(v, "a seed must not be negative");
          const auto value = static_cast<std::uint64_t>(seed);
          if (std::find(st.exp.repeat_seeds.begin(), st.exp.repeat_seeds.end(), value) != st.exp.repeat_seeds.end())
            fail(v, "seed " + v.text + " is listed twice", "each seed runs once");
          st.exp.repeat_seeds.push_back(value);
        }
      }
    } catch (const CheckError& e) {
      errors.push_back(diagnostic_of(source, e));
    }
  }
  // About one step per statement: reserved, the step list does not double
  // (and copy) its way up on a huge script.
  st.exp.steps.reserve(program.statements.size());

  for (const auto& stmt : program.statements) {
    if (errors.size() >= max_errors) {
      errors.push_back(make_diagnostic(source, located(stmt).offset, 1,
                                       "too many errors (" + std::to_string(errors.size()) +
                                           "); the rest of the script is not checked",
                                       "fix the errors above first"));
      break;
    }
    try {
      statement(st, stmt);
    } catch (const CheckError& e) {
      errors.push_back(diagnostic_of(source, e));
      for (const ast::Name* n : defined_names(stmt))
        if (!st.symbols.count(n->text)) st.symbols[n->text] = Symbol{Symbol::Kind::Poisoned, -1, -1, -1, nullptr, n->offset};
    } catch (const PoisonedName&) {
      for (const ast::Name* n : defined_names(stmt))
        if (!st.symbols.count(n->text)) st.symbols[n->text] = Symbol{Symbol::Kind::Poisoned, -1, -1, -1, nullptr, n->offset};
    }
  }
  if (!errors.empty()) throw DiagnosticError(std::move(errors));
  if (st.exp.steps.empty()) {
    const ast::Located end{static_cast<std::uint32_t>(source.text().size()), 0};
    throw DiagnosticError(make_diagnostic(source, end.offset, 1, "the script has no train, evaluate, compare or summary step",
                                          "add e.g. train net on mnist.train { epochs 1 }"));
  }
  return std::move(st.exp);
}

}  // namespace tl::check
