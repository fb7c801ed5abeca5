// Layers added for imported networks: explicit padding on convolutions and
// pools, global average pooling and multiply. The script's words become the
// layer's fields, the lowering's op attributes and the model file's entries.
#include <doctest/doctest.h>

#include "compiler/lower/step_graph.hpp"
#include "runtime/io/model_file.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

using namespace tl;

check::Experiment checked(const std::string& layers, data::DataStore& store) {
  return test::check_ok("layers.tl",
                        "model m(classes) {\n  input(8, 8, 2)\n" + layers +
                            "  dense(classes, softmax)\n}\nnet = m(5)\nsummary net\n",
                        store);
}

}  // namespace

TEST_CASE("explicit padding: a number for every side, or rows x columns") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  conv2d(4, 3x3, strides = 2, padding = 1)\n  maxpool2d(3, strides = 2, padding = 1)\n"
      "  conv2d(3, 3x3, padding = 1x2)\n  avgpool2d(2, padding = 0)\n  flatten()\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  // PyTorch: (8 + 2 - 3) / 2 + 1 = 4; (4 + 2 - 3) / 2 + 1 = 2; (2 + 2 - 3) + 1 = 2 rows, (2 + 4 - 3) + 1 = 4
  // columns; padding 0 is valid padding spelled explicitly: 1 x 2.
  CHECK(m.layers[1].shape == ir::Shape{4, 4, 4});
  CHECK(m.layers[1].padding == ir::Padding::Explicit);
  CHECK(m.layers[1].pads == std::array<int, 4>{1, 1, 1, 1});
  CHECK(m.layers[2].shape == ir::Shape{2, 2, 4});
  CHECK(m.layers[3].shape == ir::Shape{2, 4, 3});
  CHECK(m.layers[3].pads == std::array<int, 4>{1, 1, 2, 2});
  CHECK(m.layers[4].shape == ir::Shape{1, 2, 3});

  const lower::StepGraph step = lower::build_step(m, 2, lower::StepKind::Predict, nullptr);
  std::vector<std::array<int, 4>> pads;
  for (const ir::Node& n : step.graph.nodes())
    if (n.attrs.padding == ir::Padding::Explicit) pads.push_back({n.attrs.pad_top, n.attrs.pad_bottom, n.attrs.pad_left, n.attrs.pad_right});
  CHECK(pads == std::vector<std::array<int, 4>>{{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 2, 2}, {0, 0, 0, 0}});

  const nlohmann::json d = io::describe_model(m);
  CHECK(d["layers"][3]["padding"] == "explicit");
  CHECK(d["layers"][3]["pads"] == nlohmann::json::array({1, 1, 2, 2}));
  const check::ModelSpec back = io::model_from_description(d);
  for (std::size_t i = 1; i < 5; ++i) {
    CAPTURE(i);
    CHECK(back.layers[i].padding == m.layers[i].padding);
    CHECK(back.layers[i].pads == m.layers[i].pads);
  }
  nlohmann::json wide = d;
  wide["layers"][3]["pads"][2] = 3;  // the window is 3 wide
  CHECK_THROWS_AS(io::model_from_description(wide), std::invalid_argument);
  nlohmann::json unknown = d;
  unknown["layers"][3]["padding"] = "reflect";
  CHECK_THROWS_AS(io::model_from_description(unknown), std::invalid_argument);
}

TEST_CASE("global_avgpool2d and multiply: shapes, no parameters, and channel scaling") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  body: conv2d(6, 3x3, padding = same)\n  global_avgpool2d()\n  gate: dense(6, sigmoid)\n"
      "  scaled: multiply(body, gate)\n  multiply(scaled, body)\n  global_avgpool2d()\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  CHECK(m.layers[2].kind == check::LayerKind::GlobalAvgPool2D);
  CHECK(m.layers[2].shape == ir::Shape{6});
  CHECK(m.layers[2].name == "global_average_pooling2d");
  CHECK(m.layers[4].kind == check::LayerKind::Multiply);
  CHECK(m.layers[4].shape == ir::Shape{8, 8, 6});
  CHECK(m.layers[4].param_count() == 0);
  CHECK(m.layers[5].shape == ir::Shape{8, 8, 6});
  CHECK(m.layers[6].name == "global_average_pooling2d_1");

  // The gate is spread over the 8x8 positions, then multiplied in.
  const lower::StepGraph step = lower::build_step(m, 2, lower::StepKind::Predict, nullptr);
  int spreads = 0, products = 0;
  for (const ir::Node& n : step.graph.nodes()) {
    if (n.op == ir::OpKind::SpatialBroadcast) ++spreads;
    if (n.op == ir::OpKind::Mul) ++products;
  }
  CHECK(spreads == 1);
  CHECK(products == 2);

  const check::ModelSpec back = io::model_from_description(io::describe_model(m));
  CHECK(back.layers[4].kind == check::LayerKind::Multiply);
  CHECK(back.layers[4].inputs == m.layers[4].inputs);
  CHECK(back.layers[2].kind == check::LayerKind::GlobalAvgPool2D);
}

TEST_CASE("depthwise_conv2d: Keras' parameters, multiplier and padding") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  depthwise_conv2d(3x3, padding = 1)\n  depthwise_conv2d(3x3, strides = 2, multiplier = 3, use_bias = false)\n"
      "  flatten()\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  // Keras DepthwiseConv2D: K*K*C*M + C*M parameters.
  CHECK(m.layers[1].kind == check::LayerKind::DepthwiseConv2D);
  CHECK(m.layers[1].name == "depthwise_conv2d");
  CHECK(m.layers[1].shape == ir::Shape{8, 8, 2});
  CHECK(m.layers[1].param_count() == 3 * 3 * 2 + 2);
  CHECK(m.layers[1].params[0].name == "depthwise_kernel");
  CHECK(m.layers[2].shape == ir::Shape{3, 3, 6});
  CHECK(m.layers[2].params.size() == 1);
  CHECK(m.layers[2].params[0].shape == ir::Shape{3, 3, 2, 3});
  CHECK(m.layers[2].params[0].fan_in == 18);
  CHECK(m.layers[2].params[0].fan_out == 27);
  const check::ModelSpec back = io::model_from_description(io::describe_model(m));
  CHECK(back.layers[2].kind == check::LayerKind::DepthwiseConv2D);
  CHECK(back.layers[2].units == 6);
  CHECK(back.layers[2].params[0].shape == ir::Shape{3, 3, 2, 3});
}
