// The AST dump for --emit=ast (see ast_printer.hpp).
#include "dsl/ast_printer.hpp"

namespace tl::dsl {

namespace {

namespace x3 = boost::spirit::x3;

/// A label as written: a number, or a class name in quotes.
std::string label(const ast::LabelRef& l) { return l.is_name ? "\"" + l.text + "\"" : l.text; }

struct Printer {
  const SourceFile& source;
  std::string out;
  int depth = 0;

  void line(const ast::Located& at, const std::string& text) {
    const LineCol lc = source.line_col(at.offset);
    out += std::string(static_cast<std::size_t>(depth) * 2, ' ') + text + "  @" + std::to_string(lc.line) + ":" +
           std::to_string(lc.column) + "\n";
  }
  template <typename F>
  void nested(F&& f) {
    ++depth;
    f();
    --depth;
  }

  void expr(const ast::Expr& e) {
    struct Head {
      Printer& p;
      void operator()(const ast::Dims& d) const {
        std::string s;
        for (auto v : d.values) s += (s.empty() ? "" : "x") + std::to_string(v);
        p.line(d, "dims " + s);
      }
      void operator()(const ast::Number& n) const { p.line(n, "number " + n.text); }
      void operator()(const ast::String& s) const { p.line(s, "string \"" + s.text + "\""); }
      void operator()(const ast::Path& path) const {
        std::string s;
        for (const auto& part : path.parts) s += (s.empty() ? "" : ".") + part;
        p.line(path, "name " + s);
      }
      void operator()(const x3::forward_ast<ast::Call>& c) const { p.call(c.get()); }
    };
    boost::apply_visitor(Head{*this}, e.head);
    for (const auto& s : e.stages) {
      nested([&] {
        line(s, "| " + s.op);
        nested([&] { stage_arg(s.arg); });
      });
    }
  }

  void stage_arg(const ast::StageArg& arg) {
    if (auto* n = boost::get<ast::Number>(&arg)) line(*n, "number " + n->text);
    if (auto* m = boost::get<ast::MapLit>(&arg))
      for (const auto& e : m->entries) line(e, label(e.key) + " -> " + e.value.text);
    if (auto* p = boost::get<ast::PredOr>(&arg)) pred(*p);
    if (auto* c = boost::get<x3::forward_ast<ast::Call>>(&arg)) call(c->get());
    if (auto* l = boost::get<ast::NameList>(&arg))
      for (const auto& n : l->names) line(n, "layer " + n.text);
    if (auto* m = boost::get<ast::MeanStd>(&arg)) {
      auto values = [](const std::vector<ast::Number>& v) {
        std::string text;
        for (const auto& n : v) text += (text.empty() ? "" : ", ") + n.text;
        return text;
      };
      line(m->mean.front(), "mean " + values(m->mean));
      line(m->std.front(), "std " + values(m->std));
    }
    if (auto* n = boost::get<ast::NormalizeFrom>(&arg)) {
      std::string path;
      for (const auto& part : n->dataset) path += (path.empty() ? "" : ".") + part;
      line(*n, "from " + path + (n->per_channel ? " per channel" : ""));
    }
    if (auto* f = boost::get<ast::LayerFactors>(&arg))
      for (const auto& e : f->entries) line(e, e.layer.text + ": " + e.factor.text);
    if (auto* b = boost::get<ast::LayerBlock>(&arg))
      for (const auto& l : b->layers) call(l.get().call);
    if (auto* a = boost::get<x3::forward_ast<ast::AugmentBlock>>(&arg))
      for (const auto& setting : a->get().settings) {
        line(setting, "augmentation " + setting.key.text);
        nested([&] { expr(setting.value); });
      }
  }

  void pred(const ast::PredOr& p) {
    line(p, "or");
    nested([&] {
      for (const auto& a : p.terms) {
        line(a, "and");
        nested([&] {
          for (const auto& t : a.terms) atom(t);
        });
      }
    });
  }

  void atom(const ast::PredAtom& t) {
    if (auto* c = boost::get<ast::Comparison>(&t)) line(*c, c->subject + " " + c->op + " " + label(c->value));
    if (auto* m = boost::get<ast::Membership>(&t)) {
      std::string s;
      for (const auto& v : m->values) s += (s.empty() ? "" : ", ") + label(v);
      line(*m, m->subject + " in {" + s + "}");
    }
    if (auto* n = boost::get<x3::forward_ast<ast::PredNot>>(&t)) {
      line(n->get(), "not");
      nested([&] { atom(n->get().operand); });
    }
    if (auto* o = boost::get<x3::forward_ast<ast::PredOr>>(&t)) pred(o->get());
  }

  void call(const ast::Call& c) {
    line(c, "call " + c.callee.text);
    nested([&] {
      for (const auto& a : c.args) {
        if (a.keyword) {
          line(a, a.keyword->text + " =");
          nested([&] { expr(a.value); });
        } else {
          expr(a.value);
        }
      }
    });
  }

  void settings(const std::vector<ast::Setting>& s) {
    nested([&] {
      for (const auto& setting : s) {
        line(setting, "setting " + setting.key.text);
        nested([&] { expr(setting.value); });
      }
    });
  }

  void statement(const ast::Statement& stmt) {
    struct V {
      Printer& p;
      void operator()(const ast::ModelDef& d) const {
        std::string params;
        for (const auto& prm : d.params) params += (params.empty() ? "" : ", ") + prm.name.text;
        p.line(d, "model " + d.name.text + "(" + params + ")");
        p.nested([&] {
          for (const auto& l : d.layers) {
            p.line(l, std::string("layer") + (l.label ? " " + l.label->text + ":" : "") +
                          (l.from ? " from " + l.from->text : ""));
            p.nested([&] { p.call(l.call); });
          }
        });
      }
      void operator()(const ast::Assign& a) const {
        p.line(a, "let " + a.name.text);
        p.nested([&] { p.expr(a.value); });
      }
      void operator()(const ast::SplitStmt& s) const {
        p.line(s, "split");
        p.nested([&] {
          p.expr(s.source);
          for (const auto& part : s.parts) p.line(part, "part " + part.name.text + " " + part.fraction.text);
          if (s.stratified) p.line(s, "stratified");
          if (s.shuffle) p.line(*s.shuffle, "shuffled" + (s.shuffle->seed ? " seed " + s.shuffle->seed->text : ""));
        });
      }
      void operator()(const ast::TrainStmt& t) const {
        p.line(t, "train " + t.model.text);
        p.nested([&] { p.expr(t.data); });
        p.settings(t.settings);
      }
      void operator()(const ast::EvalStmt& e) const {
        p.line(e, "evaluate " + e.model.text);
        p.nested([&] { p.expr(e.data); });
        p.settings(e.settings);
      }
      void operator()(const ast::SummaryStmt& s) const { p.line(s, "summary " + s.model.text); }
      void operator()(const ast::ExportStmt& s) const { p.line(s, "export " + s.model.text + " to \"" + s.path.text + "\""); }
      void operator()(const ast::CompareStmt& c) const {
        std::string names;
        for (const auto& n : c.models) names += (names.empty() ? "" : ", ") + n.text;
        p.line(c, "compare " + names);
        p.nested([&] { p.expr(c.data); });
        p.settings(c.settings);
      }
      void operator()(const ast::SeedStmt& s) const { p.line(s, "seed " + s.value.text); }
      void operator()(const ast::RepeatStmt& r) const {
        std::string values;
        for (const auto& v : r.values) values += (values.empty() ? "" : ", ") + v.text;
        p.line(r, std::string("repeat ") + (r.seed_list ? "seeds " : "") + values);
      }
    };
    boost::apply_visitor(V{*this}, stmt);
  }
};

}  // namespace

std::string print_ast(const ast::Program& program, const SourceFile& source) {
  Printer p{source, {}, 0};
  for (const auto& s : program.statements) p.statement(s);
  return p.out;
}

}  // namespace tl::dsl
