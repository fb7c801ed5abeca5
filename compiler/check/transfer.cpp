// Checking transfer expressions: a model derived from trained ones.
//   copy(m)            m's layers; their tensors are copied from m's weights
//                      at this point of the script
//   fresh(m)           m's architecture, freshly initialised
//   | drop N           without its last N layers
//   | cut after L      only up to and including layer L
//   | append { ... }   new layers (fresh weights) on top
//   | append head(m, N) the last N layers of m, with m's weights
//   | freeze L, ...    freeze layers by name, or `all`, or `reused`
//   | unfreeze L, ...  the opposite
//   | reinit L, ...    fresh weights for those layers (`all`, `reused` too)
//   | lr {L: f, ...}   multiply the optimizer's learning rate for layer L by f
// Every stage is checked here: names exist, frozen layers have parameters,
// and an attached head fits the body's output shape.
#include <algorithm>

#include "compiler/check/checker_state.hpp"
#include "compiler/check/models.hpp"

namespace tl::check {

namespace {

int layer_index(const ModelSpec& m, const ast::Name& name, const std::string& what) {
  for (std::size_t i = 0; i < m.layers.size(); ++i)
    if (m.layers[i].name == name.text) return static_cast<int>(i);
  std::string names;
  for (const auto& l : m.layers)
    if (l.kind != LayerKind::Input) names += (names.empty() ? "" : ", ") + l.name;
  fail(name, what + ": the model has no layer named '" + name.text + "'", "its layers are " + names);
}

/// Keeps layers [0, count) and makes the last of them the output.
void truncate(ModelSpec& m, std::size_t count) {
  for (std::size_t i = count; i < m.layers.size(); ++i)
    for (const auto& p : m.layers[i].params) {
      m.origins.erase(ModelSpec::tensor_name(m.layers[i], p));
      m.frozen.erase(ModelSpec::tensor_name(m.layers[i], p));
      m.lr_factors.erase(ModelSpec::tensor_name(m.layers[i], p));
    }
  m.layers.resize(count);
  m.output = static_cast<int>(count) - 1;
}

/// Tensors of the layers that `list` names (`all`, `reused`, or layer names).
std::vector<std::string> selected_tensors(const ModelSpec& m, const ast::NameList& list, const std::string& verb) {
  std::vector<std::string> out;
  for (const ast::Name& n : list.names) {
    if (n.text == "all" || n.text == "reused") {
      for (const auto& l : m.layers)
        for (const auto& p : l.params) {
          const std::string t = ModelSpec::tensor_name(l, p);
          const auto it = m.origins.find(t);
          if (n.text == "all" || (it != m.origins.end() && it->second.model >= 0)) out.push_back(t);
        }
      continue;
    }
    const Layer& l = m.layers[static_cast<std::size_t>(layer_index(m, n, verb))];
    if (l.params.empty())
      fail(n, "layer '" + l.name + "' (" + keras_class(l.kind) + ") has no parameters to " + verb,
           "only layers with weights (conv2d, dense, batchnorm) can be frozen");
    for (const auto& p : l.params) out.push_back(ModelSpec::tensor_name(l, p));
  }
  return out;
}

}  // namespace

ModelSpec CheckerState::derive(const ast::Expr& e, const std::string& name, const ast::Located& at) {
  // 1. The start: copy(m) or fresh(m).
  const ast::Call* call = as_call(e);
  const BoundArgs args(*call, {{"model", true}}, call->callee.text + "()");
  const std::string source_name = bare_word(*args.slot(0));
  if (source_name.empty()) fail(where(*args.slot(0)), call->callee.text + "() takes the name of a model");
  const Symbol& s = lookup(source_name, where(*args.slot(0)), "a model");
  if (s.kind != Symbol::Kind::Model)
    fail(where(*args.slot(0)), "'" + source_name + "' is not a model",
         s.kind == Symbol::Kind::ModelDef ? "make one first: net = " + source_name + "(...)" : "");
  const ModelSpec& source = exp.models[static_cast<std::size_t>(s.index)];
  const bool copy = call->callee.text == "copy";
  ModelSpec m = source;
  m.name = name;
  m.derived = true;
  m.where = {at.offset, at.length};
  m.origins.clear();
  m.frozen = copy ? source.frozen : std::set<std::string>{};
  if (!copy) m.lr_factors.clear();
  for (const auto& l : m.layers)
    for (const auto& p : l.params) {
      const std::string t = ModelSpec::tensor_name(l, p);
      m.origins[t] = copy ? TensorOrigin{s.index, t} : TensorOrigin{};
    }

  // 2. The stages, in order.
  for (const ast::Stage& stage : e.stages) {
    if (stage.op == "drop") {
      const auto& n = boost::get<ast::Number>(stage.arg);
      const std::int64_t count = integer(n, "drop");
      const auto layers = static_cast<std::int64_t>(m.layers.size()) - 1;  // without the input
      if (count < 1 || count >= layers)
        fail(n, layers - 1 == 1 ? "drop can remove only 1 layer here, not " + n.text
                                : "drop can remove 1 to " + std::to_string(layers - 1) + " layers here, not " + n.text,
             "the model has " + std::to_string(layers) + " layers after its input, and at least one must stay");
      truncate(m, m.layers.size() - static_cast<std::size_t>(count));
    } else if (stage.op == "cut") {
      const auto& list = boost::get<ast::NameList>(stage.arg);
      if (list.names.size() != 1) fail(list, "cut after takes one layer name");
      const int index = layer_index(m, list.names[0], "cut after");
      if (index == 0) fail(list.names[0], "cut after needs a layer after the input");
      truncate(m, static_cast<std::size_t>(index) + 1);
    } else if (stage.op == "append") {
      if (auto* block = boost::get<ast::LayerBlock>(&stage.arg)) {
        std::vector<ast::LayerLine> lines;
        for (const auto& l : block->layers) lines.push_back(l.get());
        if (lines.empty()) fail(*block, "append { } needs at least one layer");
        const std::size_t before = m.layers.size();
        append_lines(m, lines, Scope{}, name);
        for (std::size_t i = before; i < m.layers.size(); ++i)
          for (const auto& p : m.layers[i].params) m.origins[ModelSpec::tensor_name(m.layers[i], p)] = {};
      } else {
        const ast::Call& head = boost::get<x3::forward_ast<ast::Call>>(stage.arg).get();
        if (head.callee.text != "head")
          fail(head.callee, "append takes { layers } or head(model, N), not " + head.callee.text + "(...)");
        const BoundArgs hargs(head, {{"model", true}, {"layers", true}}, "head()");
        const std::string from = bare_word(*hargs.slot(0));
        const Symbol& hs = lookup(from, where(*hargs.slot(0)), "a model");
        if (hs.kind != Symbol::Kind::Model) fail(where(*hargs.slot(0)), "'" + from + "' is not a model");
        const ModelSpec& donor = exp.models[static_cast<std::size_t>(hs.index)];
        const std::int64_t count = at_least(*hargs.slot(1), nullptr, "head layers", 1);
        const auto donor_layers = static_cast<std::int64_t>(donor.layers.size()) - 1;
        if (count > donor_layers)
          fail(where(*hargs.slot(1)), "model '" + from + "' has only " + std::to_string(donor_layers) + " layers");
        const std::size_t first = donor.layers.size() - static_cast<std::size_t>(count);
        const Layer& donor_in = donor.layers[static_cast<std::size_t>(donor.layers[first].inputs.at(0))];
        const Layer& body_out = m.layers[static_cast<std::size_t>(m.output)];
        if (donor_in.shape != body_out.shape)
          fail(head, "the head of '" + from + "' takes " + shape_text(donor_in.shape) + " (the output of its '" +
                         donor_in.name + "'), but this model ends in '" + body_out.name + "' with " +
                         shape_text(body_out.shape),
               "drop or cut the body so that its output matches, or append new layers instead");
        // Copy the layers, renaming any that collide, and re-link their inputs.
        std::map<int, int> index_of;  // donor index -> new index
        index_of[donor.layers[first].inputs.at(0)] = m.output;
        for (std::size_t i = first; i < donor.layers.size(); ++i) {
          Layer l = donor.layers[i];
          for (int& in : l.inputs) {
            auto it = index_of.find(in);
            if (it == index_of.end())
              fail(head, "the last " + std::to_string(count) + " layers of '" + from +
                             "' also read earlier layers; take a chain of layers");
            in = it->second;
          }
          const std::string original = l.name;
          for (int k = 1; std::any_of(m.layers.begin(), m.layers.end(), [&](const Layer& x) { return x.name == l.name; }); ++k)
            l.name = original + "_" + std::to_string(k);
          for (const auto& p : l.params) {
            const std::string donor_tensor = ModelSpec::tensor_name(donor.layers[i], p);
            m.origins[ModelSpec::tensor_name(l, p)] = {hs.index, donor_tensor};
            if (donor.frozen.count(donor_tensor)) m.frozen.insert(ModelSpec::tensor_name(l, p));
          }
          index_of[static_cast<int>(i)] = static_cast<int>(m.layers.size());
          m.layers.push_back(std::move(l));
          m.output = static_cast<int>(m.layers.size()) - 1;
        }
        m.sequential = m.sequential && donor.sequential;
      }
    } else if (stage.op == "freeze" || stage.op == "unfreeze") {
      const auto& list = boost::get<ast::NameList>(stage.arg);
      for (const std::string& t : selected_tensors(m, list, stage.op)) {
        if (stage.op == "freeze") m.frozen.insert(t);
        else m.frozen.erase(t);
      }
    } else if (stage.op == "reinit") {
      const auto& list = boost::get<ast::NameList>(stage.arg);
      for (const std::string& t : selected_tensors(m, list, "reinit")) m.origins[t] = {};
    } else if (stage.op == "lr") {
      const auto& factors = boost::get<ast::LayerFactors>(stage.arg);
      for (const ast::LayerFactor& f : factors.entries) {
        const double factor = number(f.factor, "a learning-rate factor");
        if (!(factor > 0)) fail(f.factor, "a learning-rate factor must be positive, not " + f.factor.text,
                                "to keep a layer's weights fixed, freeze it");
        ast::NameList one;
        static_cast<ast::Located&>(one) = f.layer;
        one.names = {f.layer};
        for (const std::string& t : selected_tensors(m, one, "scale the learning rate of")) m.lr_factors[t] = factor;
      }
    } else {
      fail(stage, "'" + stage.op + "' applies to datasets, not to models",
           "models take drop, cut after, append, freeze, unfreeze, reinit and lr");
    }
  }
  // 3. A model file's class names hold while the output layer is the copied one.
  const Layer& out = m.layers[static_cast<std::size_t>(m.output)];
  bool same_head = copy && out.shape == source.layers[static_cast<std::size_t>(source.output)].shape;
  for (const auto& p : out.params) {
    const auto origin = m.origins.find(ModelSpec::tensor_name(out, p));
    same_head = same_head && origin != m.origins.end() && origin->second.model == s.index &&
                origin->second.tensor == ModelSpec::tensor_name(out, p);
  }
  if (!same_head || out.params.empty()) m.class_names.clear();
  return m;
}

}  // namespace tl::check
