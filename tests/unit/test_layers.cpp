// Layers added for imported networks: explicit padding on convolutions and
// pools, global average pooling, multiply, concat, grouped and dilated
// convolutions and averages that count their padding. The script's words become the
// layer's fields, the lowering's op attributes and the model file's entries.
#include <doctest/doctest.h>

#include "compiler/lower/step_graph.hpp"
#include "runtime/exec/jit.hpp"
#include "runtime/exec/reference.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/train/model_state.hpp"
#include "tests/unit/fixtures.hpp"
#include "tests/unit/graph_test_support.hpp"

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

TEST_CASE("concat, groups, dilation and count_include_pad: shapes, parameters, lowering and the model file") {
  data::DataStore store;
  const check::Experiment exp = checked(
      "  stem: conv2d(6, 3x3, padding = same)\n"
      "  a: conv2d(4, 3x3, padding = 2, dilation = 2)\n"
      "  b: conv2d(6, 3x3, padding = same, groups = 3) from stem\n"
      "  c: avgpool2d(3, strides = 1, padding = 1, count_include_pad = true) from stem\n"
      "  d: depthwise_conv2d(3x3, padding = same, dilation = 2x3) from stem\n"
      "  concat(a, b, c, d)\n  conv2d(4, 1x1, groups = 2)\n  flatten()\n",
      store);
  const check::ModelSpec& m = exp.models.at(0);
  CHECK(m.layers[2].shape == ir::Shape{8, 8, 4});
  CHECK(m.layers[2].param_count() == 3 * 3 * 6 * 4 + 4);
  CHECK(m.layers[3].param_count() == 3 * 3 * 2 * 6 + 6);  // (K,K,C/groups,filters)
  CHECK(m.layers[3].params[0].shape == ir::Shape{3, 3, 2, 6});
  CHECK(m.layers[4].count_include_pad);
  CHECK(m.layers[5].dilation_h == 2);
  CHECK(m.layers[5].dilation_w == 3);
  CHECK(m.layers[6].kind == check::LayerKind::Concat);
  CHECK(m.layers[6].name == "concatenate");
  CHECK(m.layers[6].shape == ir::Shape{8, 8, 4 + 6 + 6 + 6});
  CHECK(m.layers[6].param_count() == 0);
  CHECK(m.layers[7].params[0].shape == ir::Shape{1, 1, 11, 4});

  // groups = 3 is three convolutions of sliced inputs and kernels, joined.
  const lower::StepGraph step = lower::build_step(m, 2, lower::StepKind::Predict, nullptr);
  int slices = 0, concats = 0, dilated = 0, counted = 0;
  for (const ir::Node& n : step.graph.nodes()) {
    slices += n.op == ir::OpKind::SliceChannels;
    concats += n.op == ir::OpKind::Concat;
    dilated += n.attrs.dilation_h != 1;
    counted += n.attrs.count_pad;
  }
  CHECK(slices == 2 * 3 + 2 * 2);   // inputs and kernels of both grouped convs
  CHECK(concats == 2 + 1 + 3);      // the groups' joins (3 parts: 2; 2 parts: 1) and concat's 4 parts
  CHECK(dilated == 2);
  CHECK(counted == 1);

  const check::ModelSpec back = io::model_from_description(io::describe_model(m));
  CHECK(back.layers[3].groups == 3);
  CHECK(back.layers[4].count_include_pad);
  CHECK(back.layers[5].dilation_w == 3);
  CHECK(back.layers[6].kind == check::LayerKind::Concat);
  CHECK(back.layers[6].inputs == m.layers[6].inputs);
  // Files without the new fields read as before; bad values are refused.
  nlohmann::json d = io::describe_model(m);
  CHECK(!d["layers"][1].contains("groups"));
  CHECK(!d["layers"][1].contains("dilation"));
  d["layers"][3]["groups"] = 0;
  CHECK_THROWS_AS(io::model_from_description(d), std::invalid_argument);
  nlohmann::json groups = io::describe_model(m);
  groups["layers"][3]["groups"] = 2;  // its kernel takes 2 channels: 2 groups would read 4, not 6
  CHECK_THROWS_WITH_AS(io::model_from_description(groups), doctest::Contains("groups that do not fit"), std::invalid_argument);
  nlohmann::json pool = io::describe_model(m);
  pool["layers"][4]["dilation"] = nlohmann::json::array({2, 2});  // a pool has no dilation
  CHECK_THROWS_WITH_AS(io::model_from_description(pool), doctest::Contains("only convolutions"), std::invalid_argument);
  nlohmann::json conv_counts = io::describe_model(m);
  conv_counts["layers"][1]["count_include_pad"] = true;  // a conv counts nothing
  CHECK_THROWS_AS(io::model_from_description(conv_counts), std::invalid_argument);
}

TEST_CASE("grouped convolutions compute each group on its own channels (both backends, and groups = channels)") {
  // x (1,4,4,C) and each model's kernel from the initialiser; the expected
  // output is a plain loop over the groups.
  for (const auto& [channels, filters, groups] : std::vector<std::tuple<int, int, int>>{{4, 6, 2}, {2, 4, 2}, {3, 3, 3}}) {
    CAPTURE(groups);
    data::DataStore store;
    const check::Experiment exp = test::check_ok(
        "g.tl",
        "model m(classes) {\n  input(4, 4, " + std::to_string(channels) + ")\n  conv2d(" + std::to_string(filters) +
            ", 3x3, groups = " + std::to_string(groups) + ", use_bias = false)\n  flatten()\n  dense(classes)\n}\nnet = m(2)\nsummary net\n",
        store);
    const check::ModelSpec& m = exp.models.at(0);
    const lower::StepGraph step = lower::build_step(m, 1, lower::StepKind::Predict, nullptr);
    exec::Variables vars = train::initialise(m, 5).vars;
    const Tensor x = test::random_tensor({1, 4, 4, channels}, 3);
    const Tensor& w = vars.tensors.at("conv2d/kernel");  // (3,3,C/groups,filters)
    const int per_in = channels / groups, per_out = filters / groups;
    std::vector<float> want(2 * 2 * static_cast<std::size_t>(filters), 0.0f);
    for (int oh = 0; oh < 2; ++oh)
      for (int ow = 0; ow < 2; ++ow)
        for (int o = 0; o < filters; ++o)
          for (int kh = 0; kh < 3; ++kh)
            for (int kw = 0; kw < 3; ++kw)
              for (int ci = 0; ci < per_in; ++ci)
                want[static_cast<std::size_t>((oh * 2 + ow) * filters + o)] +=
                    x.data()[((oh + kh) * 4 + ow + kw) * channels + (o / per_out) * per_in + ci] *
                    w.data()[((kh * 3 + kw) * per_in + ci) * filters + o];
    // The conv's output is the flatten's; the dense layer's weights then
    // multiply it: compare the conv through a predict graph whose output
    // is the flatten (scores are only its linear image).
    ir::Graph g = step.graph;
    for (std::size_t i = 0; i < g.size(); ++i)
      if (g.node(static_cast<ir::NodeId>(i)).name == "flatten") g.set_output("features", static_cast<ir::NodeId>(i));
    exec::ReferenceExecutor reference;
    exec::JitExecutor jit(2, 0);
    const exec::Feeds feeds{&x, nullptr, nullptr};
    for (exec::Executor* e : std::initializer_list<exec::Executor*>{&reference, &jit}) {
      exec::Variables v = vars;
      const Tensor got = e->run(g, v, feeds, {}).at("features");
      REQUIRE(got.size() == want.size());
      for (std::size_t i = 0; i < want.size(); ++i) CHECK(got.data()[i] == doctest::Approx(want[i]).epsilon(1e-5));
    }
  }
}
