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
  CHECK(m.layers[2].activation_params == std::vector<double>{0.1});
  CHECK(m.layers[3].activation_params == std::vector<double>{0.2});
  CHECK(m.layers[4].activation_params == std::vector<double>{0.3});
  CHECK(m.layers[5].activation == ir::Activation::Gelu);
  CHECK(m.layers[6].activation == ir::Activation::LeakyRelu);
  CHECK(m.layers[6].activation_params == std::vector<double>{0.0});

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
  CHECK(back.layers[2].activation_params == std::vector<double>{0.05});
  CHECK(back.layers[3].activation == ir::Activation::Gelu);

  nlohmann::json bad = d;
  bad["layers"][2]["alpha"] = -1.0;
  CHECK_THROWS_AS(io::model_from_description(bad), std::invalid_argument);
  nlohmann::json unknown = d;
  unknown["layers"][3]["activation"] = "mish";
  CHECK_THROWS_AS(io::model_from_description(unknown), std::invalid_argument);
}

TEST_CASE("relu6, clip, hard_sigmoid, hard_swish and swish: parameters, lowering and model files") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  dense(6, relu6)\n  dense(6, clip(-1, 2))\n  dense(6, clip(max = 3, min = 0.5))\n"
      "  dense(6, hard_sigmoid)\n  dense(6, hard_sigmoid(0.2, beta = 0.4))\n  dense(6, hard_swish)\n"
      "  activation(swish)\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  REQUIRE(m.layers.size() == 10);
  CHECK(m.layers[2].activation == ir::Activation::Relu6);
  CHECK(m.layers[2].activation_params == std::vector<double>{0, 6});
  CHECK(m.layers[3].activation == ir::Activation::Clip);
  CHECK(m.layers[3].activation_params == std::vector<double>{-1, 2});
  CHECK(m.layers[4].activation_params == std::vector<double>{0.5, 3});
  CHECK(m.layers[5].activation_params == std::vector<double>{1.0 / 6.0, 0.5});
  CHECK(m.layers[6].activation_params == std::vector<double>{0.2, 0.4});
  CHECK(m.layers[7].activation == ir::Activation::HardSwish);
  CHECK(m.layers[8].activation == ir::Activation::Swish);

  // Lowered: relu6 and clip are both Clip, with their bounds on the op.
  const lower::StepGraph step = lower::build_step(m, 4, lower::StepKind::Predict, nullptr);
  std::vector<std::pair<double, double>> clips, hards;
  int swishes = 0, hard_swishes = 0;
  for (const ir::Node& n : step.graph.nodes()) {
    if (n.op == ir::OpKind::Clip) clips.emplace_back(n.attrs.lo, n.attrs.hi);
    if (n.op == ir::OpKind::HardSigmoid) hards.emplace_back(n.attrs.alpha, n.attrs.beta);
    if (n.op == ir::OpKind::Swish) ++swishes;
    if (n.op == ir::OpKind::HardSwish) ++hard_swishes;
  }
  CHECK(clips == std::vector<std::pair<double, double>>{{0, 6}, {-1, 2}, {0.5, 3}});
  CHECK(hards == std::vector<std::pair<double, double>>{{1.0 / 6.0, 0.5}, {0.2, 0.4}});
  CHECK(swishes == 1);
  CHECK(hard_swishes == 1);

  // Model files keep the parameters a script gives, under their names, and
  // not relu6's fixed bounds.
  const nlohmann::json d = io::describe_model(m);
  CHECK(d["layers"][2]["activation"] == "relu6");
  CHECK_FALSE(d["layers"][2].contains("min"));
  CHECK(d["layers"][3]["min"] == -1.0);
  CHECK(d["layers"][3]["max"] == 2.0);
  CHECK(d["layers"][6]["alpha"] == 0.2);
  CHECK(d["layers"][6]["beta"] == 0.4);
  const check::ModelSpec back = io::model_from_description(d);
  for (std::size_t i = 2; i < 9; ++i) {
    CAPTURE(i);
    CHECK(back.layers[i].activation == m.layers[i].activation);
    CHECK(back.layers[i].activation_params == m.layers[i].activation_params);
  }
  nlohmann::json reversed = d;
  reversed["layers"][3]["min"] = 5.0;
  CHECK_THROWS_AS(io::model_from_description(reversed), std::invalid_argument);
  nlohmann::json missing = d;
  missing["layers"][3].erase("max");
  CHECK_THROWS_AS(io::model_from_description(missing), std::invalid_argument);
}
