// Activations come from one table (compiler/ir/activations.def): the checker
// reads a layer's activation and its parameter, the lowering emits the
// table's forward op with it, and model files keep both.
#include <doctest/doctest.h>

#include "compiler/lower/step_graph.hpp"
#include "runtime/io/model_file.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

using namespace tl;

check::Experiment checked(const std::string& layers, data::DataStore& store) {
  return test::check_ok("activations.tl",
                        "model m(classes) {\n  input(8, 8, 1)\n  flatten()\n" + layers +
                            "  dense(classes, softmax)\n}\nnet = m(5)\nsummary net\n",
                        store);
}

}  // namespace

TEST_CASE("leaky_relu takes alpha (default 0.2), gelu none, and both lower to their table op") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  dense(6, leaky_relu(0.1))\n  dense(6, leaky_relu)\n  dense(6, leaky_relu(alpha = 0.3))\n  dense(6, gelu)\n"
      "  activation(leaky_relu(0))\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  REQUIRE(m.layers.size() == 8);
  CHECK(m.layers[2].activation == ir::Activation::LeakyRelu);
  CHECK(m.layers[2].activation_param == 0.1);
  CHECK(m.layers[3].activation_param == 0.2);
  CHECK(m.layers[4].activation_param == 0.3);
  CHECK(m.layers[5].activation == ir::Activation::Gelu);
  CHECK(m.layers[6].activation == ir::Activation::LeakyRelu);
  CHECK(m.layers[6].activation_param == 0.0);

  const lower::StepGraph step = lower::build_step(m, 4, lower::StepKind::Predict, nullptr);
  std::vector<double> alphas;
  int gelus = 0;
  for (const ir::Node& n : step.graph.nodes()) {
    if (n.op == ir::OpKind::LeakyRelu) alphas.push_back(n.attrs.alpha);
    if (n.op == ir::OpKind::Gelu) ++gelus;
  }
  CHECK(alphas == std::vector<double>{0.1, 0.2, 0.3, 0.0});
  CHECK(gelus == 1);
}

TEST_CASE("model files keep an activation's parameter") {
  data::DataStore store;
  const check::Experiment exp = checked("  dense(6, leaky_relu(0.05))\n  dense(6, gelu)\n", store);
  const nlohmann::json d = io::describe_model(exp.models.at(0));
  CHECK(d["layers"][2]["activation"] == "leaky_relu");
  CHECK(d["layers"][2]["alpha"] == 0.05);
  CHECK_FALSE(d["layers"][3].contains("alpha"));
  const check::ModelSpec back = io::model_from_description(d);
  CHECK(back.layers[2].activation == ir::Activation::LeakyRelu);
  CHECK(back.layers[2].activation_param == 0.05);
  CHECK(back.layers[3].activation == ir::Activation::Gelu);

  nlohmann::json bad = d;
  bad["layers"][2]["alpha"] = -1.0;
  CHECK_THROWS_AS(io::model_from_description(bad), std::invalid_argument);
  nlohmann::json unknown = d;
  unknown["layers"][3]["activation"] = "swish";
  CHECK_THROWS_AS(io::model_from_description(unknown), std::invalid_argument);
}
