// The grammar alone (dsl/), without the checker: what a script parses into,
// where each node is, and the syntax errors the parser itself reports. Names
// that mean nothing (unknown layers, models, datasets) parse fine here: giving
// them meaning is the checker's job.
#include <doctest/doctest.h>

#include <string>

#include "dsl/diagnostics.hpp"
#include "dsl/grammar.hpp"

namespace {

using namespace tl;

ast::Program parse(const std::string& text) { return dsl::parse(SourceFile("parse.tl", text)); }

/// The first diagnostic of a script that must not parse.
std::string syntax_error(const std::string& text) {
  try {
    parse(text);
  } catch (const DiagnosticError& e) {
    return e.diagnostics().front().rendered;
  }
  return "";
}

template <class T>
const T& statement(const ast::Program& p, std::size_t i) {
  REQUIRE(i < p.statements.size());
  const T* s = boost::get<T>(&p.statements[i].get());
  REQUIRE(s != nullptr);
  return *s;
}

}  // namespace

TEST_CASE("parser: a model definition with labels, from and defaults") {
  const std::string text =
      "model net(classes, width = 16) {\n"
      "  input(28, 28, 1)\n"
      "  stem: conv2d(width, 3x3, padding = same)\n"
      "  frobnicate(1) from stem\n"
      "}\n";
  const ast::Program p = parse(text);
  REQUIRE(p.statements.size() == 1);
  const auto& m = statement<ast::ModelDef>(p, 0);
  CHECK(m.name.text == "net");
  REQUIRE(m.params.size() == 2);
  CHECK(m.params[0].name.text == "classes");
  CHECK_FALSE(m.params[0].default_value.has_value());
  CHECK(m.params[1].default_value.has_value());
  REQUIRE(m.layers.size() == 3);
  CHECK(m.layers[1].label->text == "stem");
  CHECK(m.layers[1].call.callee.text == "conv2d");
  REQUIRE(m.layers[1].call.args.size() == 3);
  CHECK(m.layers[1].call.args[2].keyword->text == "padding");
  CHECK(m.layers[2].call.callee.text == "frobnicate");  // unknown layers are the checker's business
  CHECK(m.layers[2].from->text == "stem");
  // Positions: byte offsets of the text each node came from.
  CHECK(text.substr(m.layers[1].call.offset, m.layers[1].call.length) == "conv2d(width, 3x3, padding = same)");
  CHECK(text.substr(m.name.offset, m.name.length) == "net");
}

TEST_CASE("parser: statements and pipelines") {
  const ast::Program p = parse(
      "seed 7\n"
      "digits = mnist.train | where label < 7 and not label in {3} | relabel {4: 0} | scale 1/255\n"
      "split digits into fit 0.8, held 0.2 shuffled seed 3\n"
      "net = seed_cnn(10)\n"
      "train net on fit { optimizer adam(lr = 1e-3)  batch 64  epochs 2 }\n"
      "evaluate net on held\n"
      "compare net, other on held\n"
      "summary net\n");
  REQUIRE(p.statements.size() == 8);
  CHECK(statement<ast::SeedStmt>(p, 0).value.text == "7");
  const auto& digits = statement<ast::Assign>(p, 1);
  REQUIRE(digits.value.stages.size() == 3);
  CHECK(digits.value.stages[0].op == "where");
  CHECK(digits.value.stages[1].op == "relabel");
  CHECK(boost::get<ast::Number>(digits.value.stages[2].arg).text == "1/255");
  const auto& split = statement<ast::SplitStmt>(p, 2);
  REQUIRE(split.parts.size() == 2);
  CHECK(split.parts[1].name.text == "held");
  REQUIRE(split.shuffle.has_value());
  CHECK(split.shuffle->seed->text == "3");
  const auto& train = statement<ast::TrainStmt>(p, 4);
  CHECK(train.model.text == "net");
  REQUIRE(train.settings.size() == 3);
  CHECK(train.settings[0].key.text == "optimizer");
  CHECK(train.settings[2].key.text == "epochs");
  CHECK(statement<ast::CompareStmt>(p, 6).models.size() == 2);
  CHECK(statement<ast::SummaryStmt>(p, 7).model.text == "net");
}

TEST_CASE("parser: derived models and their stages") {
  const ast::Program p = parse("t = copy(base) | drop 1 | append { dense(3, softmax) } | freeze reused | lr {dense: 0.1}\n");
  const auto& t = statement<ast::Assign>(p, 0);
  REQUIRE(t.value.stages.size() == 4);
  CHECK(t.value.stages[0].op == "drop");
  CHECK(boost::get<ast::LayerBlock>(t.value.stages[1].arg).layers.size() == 1);
  CHECK(boost::get<ast::NameList>(t.value.stages[2].arg).names.at(0).text == "reused");
  CHECK(boost::get<ast::LayerFactors>(t.value.stages[3].arg).entries.at(0).factor.text == "0.1");
}

TEST_CASE("parser: syntax errors point at line and column") {
  CHECK(syntax_error("model m() {\n  dense 3\n}\n").rfind("parse.tl:2:9: error: expected arguments in parentheses", 0) == 0);
  CHECK(syntax_error("net = \n").rfind("parse.tl:", 0) == 0);
  CHECK(syntax_error("train net { epochs 1 }\n").find("error: expected") != std::string::npos);
  CHECK(syntax_error("model m() {\n  input(8, 8, 1)\n").find("error:") != std::string::npos);
  CHECK(syntax_error("").empty());  // an empty script parses (the checker finds nothing to run)
}

TEST_CASE("parser: after a syntax error, parsing goes on at the next statement") {
  try {
    parse("model m() {\n  dense 3\n}\nnet = m()\nx = y |\nsummary net\ntrain net on { epochs 1 }\n");
    FAIL("the script parsed");
  } catch (const DiagnosticError& e) {
    REQUIRE(e.diagnostics().size() == 3);
    CHECK(e.diagnostics()[0].rendered.rfind("parse.tl:2:9: error: expected arguments in parentheses", 0) == 0);
    CHECK(e.diagnostics()[1].rendered.rfind("parse.tl:6:1: error: expected a pipeline stage", 0) == 0);
    CHECK(e.diagnostics()[2].rendered.rfind("parse.tl:7:14: error: expected a value", 0) == 0);
  }
}

TEST_CASE("parser: statement words name things where no statement can start") {
  const ast::Program p = parse(
      "split tr into train 0.8, test 0.2\n"
      "compare train, a on tr\n"
      "model = seed_cnn(10)\n"
      "train = seed_cnn(10)\n"
      "train train on test { epochs 1 }\n"
      "evaluate train on test\n"
      "summary train\n");
  REQUIRE(p.statements.size() == 7);
  const auto& split = statement<ast::SplitStmt>(p, 0);
  CHECK(split.parts[0].name.text == "train");
  CHECK(split.parts[1].name.text == "test");
  CHECK(statement<ast::CompareStmt>(p, 1).models[0].text == "train");
  CHECK(statement<ast::Assign>(p, 2).name.text == "model");
  CHECK(statement<ast::Assign>(p, 3).name.text == "train");
  const auto& train = statement<ast::TrainStmt>(p, 4);
  CHECK(train.model.text == "train");
  CHECK(boost::get<ast::Path>(train.data.head.get()).parts.at(0) == "test");
  CHECK(statement<ast::EvalStmt>(p, 5).model.text == "train");
  CHECK(statement<ast::SummaryStmt>(p, 6).model.text == "train");
}

TEST_CASE("parser: every expected thing has a name, never a C++ type") {
  for (const char* text : {"split tr into\n", "split tr into train 0.8,\n", "compare\n", "compare a,\n",
                           "x = m | append 3\n", "x = d | where label in {\n", "x = d | where label in {1,\n",
                           "x = m | lr {\n", "x = m | lr {dense: 0.1,\n", "x = d | relabel {1: 2,\n",
                           "model m(a, ) {}\n", "x = f(a, )\n", "x = d | normalize\n", "x = d | where label <\n",
                           "train net on d { epochs }\n"}) {
    CAPTURE(text);
    const std::string message = syntax_error(text);
    CHECK(message.find("error: expected ") != std::string::npos);
    for (const char* cxx : {"boost", "spirit", "x3", "N2tl", "St", "::", "_r"}) CHECK(message.find(cxx) == std::string::npos);
  }
}
