// The seed notebook's summary tables are test vectors: parameter counts,
// output shapes and the Keras layout.
#include <doctest/doctest.h>

#include "runtime/report/summary.hpp"
#include "tests/unit/fixtures.hpp"

namespace {

const char* seed_models = R"(
model seed_cnn(classes) {
  input(28, 28, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
  dense(classes, softmax)
}
model seed_body() {
  input(28, 28, 1)
  conv2d(10, 3x3)
  maxpool2d(2)
  flatten()
  dense(15, relu)
  dropout(0.3)
}
source = seed_cnn(7)
target = seed_cnn(10)
body = seed_body()
summary source
)";

}  // namespace

TEST_CASE("summary counts match the seed's Keras tables") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("seed.tl", seed_models, store);
  REQUIRE(exp.models.size() == 3);
  CHECK(exp.models[0].total_params() == 25577);
  CHECK(exp.models[1].total_params() == 25625);
  CHECK(exp.models[2].total_params() == 25465);
  CHECK(exp.models[2].trainable_params() == 25465);

  const std::string table = tl::report::summary(exp.models[0]);
  // Rows are laid out in Keras' columns (29 / 55 / 65).
  CHECK(table.find("conv2d (Conv2D)              (None, 26, 26, 10)        100\n") != std::string::npos);
  CHECK(table.find("max_pooling2d (MaxPooling2D) (None, 13, 13, 10)        0\n") != std::string::npos);
  CHECK(table.find("flatten (Flatten)            (None, 1690)              0\n") != std::string::npos);
  CHECK(table.find("dense (Dense)                (None, 15)                25365\n") != std::string::npos);
  CHECK(table.find("dense_1 (Dense)              (None, 7)                 112\n") != std::string::npos);
  CHECK(table.find("Total params: 25,577\nTrainable params: 25,577\nNon-trainable params: 0\n") != std::string::npos);
}

TEST_CASE("frozen tensors count as non-trainable (the seed's 160 / 25,465 case)") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("seed.tl", seed_models, store);
  const auto& target = exp.models[1];
  std::set<std::string> frozen;
  for (const auto& layer : target.layers)
    if (layer.name != "dense_1")
      for (const auto& p : layer.params) frozen.insert(tl::check::ModelSpec::tensor_name(layer, p));
  const std::string table = tl::report::summary(target, frozen);
  CHECK(table.find("Total params: 25,625\nTrainable params: 160\nNon-trainable params: 25,465\n") != std::string::npos);
}

TEST_CASE("batchnorm statistics are non-trainable, graphs get the functional layout") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("res.tl", R"(
model residual(classes) {
  input(8, 8, 1)
  stem: conv2d(4, 3x3, padding = same, activation = relu)
  conv2d(4, 3x3, padding = same, activation = relu)
  branch: conv2d(4, 3x3, padding = same)
  add(stem, branch)
  batchnorm()
  global_maxpool2d()
  dense(classes, softmax)
}
net = residual(5)
summary net
)", store);
  const auto& net = exp.models[0];
  CHECK_FALSE(net.sequential);
  // 3 convs of 3x3x{1,4,4}x4 + biases, batchnorm 4 x 4, dense 4x5 + 5.
  CHECK(net.total_params() == (9 * 4 + 4) + 2 * (9 * 16 + 4) + 16 + 25);
  CHECK(net.total_params() - net.trainable_params() == 8);
  const std::string table = tl::report::summary(net);
  CHECK(table.find("Connected to") != std::string::npos);
  CHECK(table.find("add (Add)") != std::string::npos);
  CHECK(table.find("stem, branch") != std::string::npos);
}

TEST_CASE("the transfer manifest never cuts a tensor name") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("manifest.tl", R"(
model bn(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3)
  batchnorm()
  flatten()
  dense(classes, softmax)
}
source = bn(5)
frozen = copy(source) | drop 1 | freeze reused | append { dense(3, softmax) }
summary frozen
)", store);
  const std::string text = tl::report::manifest(exp.models[1], {"source", "frozen"});
  for (const char* cell : {"batch_normalization/moving_mean ", "batch_normalization/moving_variance ",
                           "source.batch_normalization/moving_variance ", "no (statistic)", "frozen", "fresh"})
    CHECK_MESSAGE(text.find(cell) != std::string::npos, cell);
  // Every row's columns start at the header's columns.
  const auto header_from = text.find("from");
  const auto line_start = text.rfind('\n', header_from) + 1;
  const std::size_t column = header_from - line_start;
  std::size_t rows = 0;
  for (std::size_t at = text.find('\n', header_from) + 1; at < text.size(); at = text.find('\n', at) + 1) {
    const std::string line = text.substr(at, text.find('\n', at) - at);
    if (line.empty()) break;
    CHECK(line.size() > column);
    CHECK(line[column - 1] == ' ');
    CHECK(line[column] != ' ');
    ++rows;
  }
  CHECK(rows == 8);  // conv2d kernel, bias; batchnorm gamma, beta, mean, variance; dense kernel, bias
}

TEST_CASE("the transfer manifest shows learning-rate multipliers when a model has them") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("manifest_lr.tl", R"(
model m(classes) {
  input(8, 8, 1)
  flatten()
  dense(8, relu)
  dense(classes, softmax)
}
source = m(5)
plain = copy(source) | freeze dense
tuned = copy(source) | freeze dense_1 | lr {dense: 0.1}
)", store);
  CHECK(tl::report::manifest(exp.models[1], {"source", "plain", "tuned"}).find(" lr") == std::string::npos);
  const std::string text = tl::report::manifest(exp.models[2], {"source", "plain", "tuned"});
  CHECK(text.find("trainable  lr\n") != std::string::npos);
  for (const char* row : {"dense/kernel    64x8   source.dense/kernel    yes        x0.1\n",
                          "dense_1/kernel  8x5    source.dense_1/kernel  frozen     -\n"})
    CHECK_MESSAGE(text.find(row) != std::string::npos, row, "\n", text);
}
