// The embedding API as a host application sees it: only include/tl/tl.hpp and
// libtl. Errors carry tlc's diagnostics; models are independent values;
// predict is thread-safe; training works on host buffers (bytes or floats);
// nothing is printed except through the log handler.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <functional>
#include <tl/tl.hpp>

#include "tests/support/thread_group.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace {

/// Images whose label is the row that is bright: easy to learn.
struct Toy {
  std::vector<std::uint8_t> bytes;
  std::vector<float> floats;
  std::vector<std::int32_t> labels;
  std::size_t count;
  explicit Toy(std::size_t n) : count(n) {
    for (std::size_t i = 0; i < n; ++i) {
      const int label = static_cast<int>(i % 4);
      labels.push_back(label);
      for (int p = 0; p < 64; ++p) {
        const std::uint8_t v = p / 8 == label ? 220 : static_cast<std::uint8_t>((p * 7 + i * 3) % 40);
        bytes.push_back(v);
        floats.push_back(v / 255.0f);
      }
    }
  }
  tl::Images byte_images() const { return {bytes.data(), nullptr, count, 8, 8, 1, 1.0f / 255}; }
  tl::Images float_images() const { return {nullptr, floats.data(), count, 8, 8, 1, 1.0f}; }
  /// The same bytes as a tl::Dataset (a copy), for Dataset::images(...).
  tl::Dataset dataset() const {
    tl::Dataset ds;
    ds.pixels = bytes;
    ds.labels = labels;
    ds.count = count;
    ds.height = ds.width = 8;
    ds.channels = 1;
    return ds;
  }
};

const char* script = R"(
seed 3
model small(classes) {
  input(8, 8, 1)
  conv2d(4, 3x3, activation = relu)
  flatten()
  dense(classes, softmax)
}
net = small(4)
other = small(4)
summary net
)";

/// A path of this process's own under the temp directory: ctest runs the
/// test cases as parallel processes, and two that shared a run directory
/// raced on its results.json.
std::filesystem::path scratch(const std::string& name) {
  const std::filesystem::path file(name);
  const std::string own = file.stem().string() + "-" + std::to_string(getpid()) + file.extension().string();
  return std::filesystem::temp_directory_path() / own;
}

tl::Model trained_model(std::uint64_t seed) {
  auto exp = tl::Experiment::compile_source("api.tl", script);
  const auto dir = scratch("tl-api-" + std::to_string(seed));
  exp.run({dir.string(), "reference", 1, {}});
  std::filesystem::remove_all(dir);
  tl::Model model = exp.model("net");
  const Toy toy(64);
  tl::TrainOptions options;
  options.epochs = 4;
  options.batch = 8;
  options.learning_rate = 0.02;
  options.seed = seed;
  model.train(toy.byte_images(), toy.labels.data(), options);
  return model;
}

}  // namespace

TEST_CASE("script errors come back as tl::Error with file:line:col") {
  try {
    tl::Experiment::compile_source("bad.tl", "model m() {\n  input(8, 8, 1)\n  dense 3\n}\n");
    FAIL("compile accepted a broken script");
  } catch (const tl::Error& e) {
    CHECK(std::string(e.what()).find("bad.tl:3:9: error: expected arguments in parentheses") == 0);
  }
  CHECK_THROWS_AS(tl::Model::load("/nonexistent/model.safetensors"), tl::Error);
}

TEST_CASE("training on host buffers learns, from bytes and from floats") {
  auto exp = tl::Experiment::compile_source("api.tl", script);
  std::vector<std::string> lines;
  exp.run({scratch("tl-api-run").string(), "reference", 1,
           [&](std::string_view line) { lines.emplace_back(line); }});
  CHECK(exp.model_names() == std::vector<std::string>{"net", "other"});
  bool saw_total = false;
  for (const auto& l : lines) saw_total = saw_total || l == "Total params: 620";
  CHECK(saw_total);  // the summary came through the log handler

  const Toy toy(64);
  for (const bool floats : {false, true}) {
    CAPTURE(floats);
    tl::Model model = exp.model("net");
    tl::TrainOptions options;
    options.epochs = 5;
    options.batch = 8;
    options.learning_rate = 0.02;
    const auto images = floats ? toy.float_images() : toy.byte_images();
    const auto history = model.train(images, toy.labels.data(), options);
    REQUIRE(history.size() == 5);
    CHECK(history.back().loss < 0.5 * history.front().loss);
    CHECK(model.evaluate(images, toy.labels.data()).accuracy >= 0.95);
  }
}

TEST_CASE("two models live side by side, and save and load round-trip exactly") {
  tl::Model a = trained_model(1);
  tl::Model b = trained_model(2);
  const Toy toy(32);
  const auto scores_a = a.predict_scores(toy.byte_images());
  const auto scores_b = b.predict_scores(toy.byte_images());
  CHECK(scores_a != scores_b);
  const auto path = scratch("tl-api-a.safetensors").string();
  a.save(path);
  const tl::Model loaded = tl::Model::load(path);
  CHECK(loaded.predict_scores(toy.byte_images()) == scores_a);
  CHECK(loaded.input_shape() == std::vector<std::size_t>{8, 8, 1});
  CHECK(loaded.classes() == 4);
}

TEST_CASE("a model's class names: set, read, saved and loaded") {
  tl::Model model = trained_model(4);
  CHECK(model.class_names().empty());
  CHECK(model.class_name(2) == "2");  // no names: its number
  CHECK_THROWS_AS(model.class_name(4), tl::Error);
  CHECK_THROWS_AS(model.set_class_names({"a", "b"}), tl::Error);  // one per output
  model.set_class_names({"top", "second", "third", "bottom"});
  CHECK(model.class_name(3) == "bottom");
  const auto path = scratch("tl-api-classes.safetensors").string();
  model.save(path);
  CHECK(tl::Model::load(path).class_names() == std::vector<std::string>{"top", "second", "third", "bottom"});
  std::filesystem::remove(path);
}

TEST_CASE("bytes with a pixel offset read as float(byte) * scale + offset, like a normalize stage") {
  tl::Model model = trained_model(4);
  const Toy toy(24);
  tl::TrainOptions floats_once;
  floats_once.batch = 8;
  model.train(toy.float_images(), toy.labels.data(), floats_once);  // no pixel map: any bytes are accepted
  REQUIRE_FALSE(model.pixels().has_value());
  const float scale = static_cast<float>(1.0 / 255 / 0.3081), offset = static_cast<float>(-0.1307 / 0.3081);
  tl::Images bytes = toy.byte_images();
  bytes.scale = scale;
  bytes.offset = offset;
  std::vector<float> mapped(toy.bytes.size());
  for (std::size_t i = 0; i < mapped.size(); ++i) mapped[i] = static_cast<float>(toy.bytes[i]) * scale + offset;
  const tl::Images floats{nullptr, mapped.data(), toy.count, 8, 8, 1, 1.0f};
  const auto from_bytes = model.predict_scores(bytes);
  CHECK(from_bytes == model.predict_scores(floats));
  CHECK(from_bytes != model.predict_scores(toy.byte_images()));  // the offset is not ignored
  const tl::Metrics a = model.evaluate(bytes, toy.labels.data()), b = model.evaluate(floats, toy.labels.data());
  CHECK(a.loss == b.loss);
  CHECK(a.accuracy == b.accuracy);
  // tl::Dataset::images takes the same map.
  const tl::Dataset ds = toy.dataset();
  CHECK(model.predict_scores(ds.images(scale, offset)) == from_bytes);
}

TEST_CASE("a model knows the pixel map it was trained on, and its file keeps it") {
  tl::Model model = trained_model(5);  // trained on bytes scaled by 1/255
  REQUIRE(model.pixels().has_value());
  CHECK(model.pixels()->scale == 1.0f / 255);
  CHECK(model.pixels()->offset == 0.0f);
  const Toy toy(16);
  tl::Images normalized = toy.byte_images();
  normalized.scale = static_cast<float>(1.0 / 255 / 0.3081);
  normalized.offset = static_cast<float>(-0.1307 / 0.3081);
  tl::TrainOptions options;
  options.batch = 8;
  model.train(normalized, toy.labels.data(), options);
  REQUIRE(model.pixels().has_value());
  CHECK(model.pixels()->scale == normalized.scale);
  CHECK(model.pixels()->offset == normalized.offset);
  const auto path = scratch("tl-api-pixels.safetensors").string();
  model.save(path);
  const tl::Model loaded = tl::Model::load(path);
  REQUIRE(loaded.pixels().has_value());
  CHECK(loaded.pixels()->scale == normalized.scale);  // bit for bit through the file's JSON
  CHECK(loaded.pixels()->offset == normalized.offset);
  const tl::Dataset ds = toy.dataset();
  CHECK(loaded.predict_scores(ds.images(*loaded.pixels())) == model.predict_scores(normalized));
  // Bytes mapped otherwise are refused, saying which map the model expects.
  CHECK_THROWS_WITH_AS(loaded.predict(toy.byte_images()), doctest::Contains("was trained on bytes mapped by scale"),
                       tl::Error);
  CHECK_THROWS_WITH_AS(loaded.evaluate(toy.byte_images(), toy.labels.data()),
                       doctest::Contains("feed them with the model's map"), tl::Error);
  // Floats carry no pixel map: training on them forgets it.
  model.train(toy.float_images(), toy.labels.data(), options);
  CHECK_FALSE(model.pixels().has_value());
  model.save(path);
  CHECK_FALSE(tl::Model::load(path).pixels().has_value());
}

TEST_CASE("a per-channel pixel map is kept, saved, and applied to the bytes it maps") {
  tl::Model model = trained_model(6);
  const Toy toy(16);
  tl::Images images = toy.byte_images();
  images.channel_scale = {static_cast<float>(1.0 / 255 / 0.229)};
  images.channel_offset = {static_cast<float>(-0.485 / 0.229)};
  tl::TrainOptions options;
  options.batch = 8;
  model.train(images, toy.labels.data(), options);
  REQUIRE(model.pixels().has_value());
  CHECK(*model.pixels() == images.map());
  const auto path = scratch("tl-api-channel-pixels.safetensors").string();
  model.save(path);
  const tl::Model loaded = tl::Model::load(path);
  REQUIRE(loaded.pixels().has_value());
  CHECK(*loaded.pixels() == images.map());  // bit for bit through the file's JSON
  // Bytes with the map give the scores of the floats it maps them to.
  std::vector<float> mapped(toy.bytes.size());
  for (std::size_t i = 0; i < mapped.size(); ++i)
    mapped[i] = static_cast<float>(toy.bytes[i]) * images.channel_scale[0] + images.channel_offset[0];
  const tl::Images floats{nullptr, mapped.data(), toy.count, 8, 8, 1};
  CHECK(loaded.predict_scores(toy.dataset().images(*loaded.pixels())) == loaded.predict_scores(floats));
  // The uniform map with the same numbers is another map: refused, naming both.
  tl::Images uniform = toy.byte_images();
  uniform.scale = images.channel_scale[0];
  uniform.offset = images.channel_offset[0];
  CHECK_THROWS_WITH_AS(loaded.predict(uniform), doctest::Contains("channel scales"), tl::Error);
  // One value per channel, or an error.
  tl::Images wrong = images;
  wrong.channel_offset.push_back(0.0f);
  CHECK_THROWS_WITH_AS(model.train(wrong, toy.labels.data(), options), doctest::Contains("one value per channel (1)"),
                       tl::Error);
}

/// Writes the toy images and labels as raw IDX files in `dir`.
void write_idx(const Toy& toy, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  auto be32 = [](std::ofstream& out, std::uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.write(b, 4);
  };
  std::ofstream images(dir / "images-idx3-ubyte", std::ios::binary), labels(dir / "labels-idx1-ubyte", std::ios::binary);
  be32(images, 0x803);
  for (std::uint32_t d : {static_cast<std::uint32_t>(toy.count), 8u, 8u}) be32(images, d);
  images.write(reinterpret_cast<const char*>(toy.bytes.data()), static_cast<std::streamsize>(toy.bytes.size()));
  be32(labels, 0x801);
  be32(labels, static_cast<std::uint32_t>(toy.count));
  for (std::int32_t l : toy.labels) labels.put(static_cast<char>(l));
}

TEST_CASE("a script's model carries the pixel map of its last train step") {
  const auto dir = scratch("tl-api-script-pixels");
  write_idx(Toy(48), dir / "toy");
  auto exp = tl::Experiment::compile_source((dir / "pixels.tl").string(), R"(
seed 2
tiny = idx(images = "toy/images-idx3-ubyte", labels = "toy/labels-idx1-ubyte")
model small(classes) {
  input(8, 8, 1)
  flatten()
  dense(classes, softmax)
}
net = small(5)
idle = small(5)
train net on tiny | scale 1/255 { epochs 1  batch 16 }
train net on tiny | scale 1/255 | normalize mean 0.5 std 0.25 { epochs 1  batch 16 }
)");
  exp.run({dir.string(), "reference", 1, {}});
  const tl::Model net = exp.model("net");
  REQUIRE(net.pixels().has_value());
  CHECK(net.pixels()->scale == static_cast<float>(1.0 / 255 / 0.25));
  CHECK(net.pixels()->offset == -2.0f);
  CHECK_FALSE(exp.model("idle").pixels().has_value());
  // The file tlc run wrote after the last train step says the same.
  const tl::Model saved = tl::Model::load((dir / "net.safetensors").string());
  REQUIRE(saved.pixels().has_value());
  CHECK(saved.pixels()->scale == net.pixels()->scale);
  CHECK(saved.pixels()->offset == net.pixels()->offset);
}

TEST_CASE("predict is thread-safe and deterministic") {
  const tl::Model model = trained_model(3);
  const Toy toy(100);
  const auto expected = model.predict(toy.byte_images());
  std::vector<std::vector<int>> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 5; ++k) results[static_cast<std::size_t>(t)] = model.predict(toy.byte_images());
    });
  for (auto& t : threads) t.join();
  for (const auto& r : results) CHECK(r == expected);
}

TEST_CASE("bad host input is an error, not a crash") {
  const tl::Model model = trained_model(4);
  const Toy toy(4);
  tl::Images wrong = toy.byte_images();
  wrong.height = 9;
  CHECK_THROWS_WITH_AS(model.predict(wrong), doctest::Contains("takes 8x8x1 images"), tl::Error);
  std::vector<std::int32_t> labels = {0, 1, 7, 2};
  CHECK_THROWS_WITH_AS(model.evaluate(toy.byte_images(), labels.data()), doctest::Contains("label 7"), tl::Error);
  tl::Images none;
  CHECK_THROWS_AS(model.predict(none), tl::Error);
}

TEST_CASE("training options: weight decay, smoothing, clipping, validation and early stopping") {
  auto exp = tl::Experiment::compile_source("api.tl", script);
  exp.run({scratch("tl-api-options").string(), "reference", 1, {}});
  const Toy toy(64);
  // Validation whose labels disagree with the images: its loss rises as the
  // model learns the training labels, so early stopping has a best epoch to go back to.
  std::vector<std::int32_t> wrong(toy.labels);
  for (std::size_t i = 0; i < wrong.size(); ++i) wrong[i] = (wrong[i] + 1 + static_cast<std::int32_t>(i % 3)) % 4;
  const tl::Images images = toy.byte_images();

  tl::TrainOptions options;
  options.epochs = 30;
  options.batch = 8;
  options.learning_rate = 0.02;
  options.optimizer = "adamw";
  options.label_smoothing = 0.1;
  options.clip_norm = 1.0;
  options.validation = &images;
  options.validation_labels = wrong.data();
  options.early_stop = "val_loss";
  options.patience = 2;
  tl::Model model = exp.model("net");
  const auto history = model.train(images, toy.labels.data(), options);
  REQUIRE(history.size() < 30);
  std::size_t best = 0;
  for (std::size_t i = 0; i < history.size(); ++i) {
    CHECK(history[i].val_loss == history[i].val_loss);  // recorded every epoch
    if (history[i].val_loss < history[best].val_loss) best = i;
  }
  CHECK(history.size() == best + 1 + 2);  // stopped `patience` epochs after the best
  // The best epoch's weights are back: evaluate (batch 8, as the validation) measures its val_loss.
  CHECK(model.evaluate(images, wrong.data(), 8).loss == doctest::Approx(history[best].val_loss).epsilon(1e-6));
  CHECK(model.evaluate(images, toy.labels.data()).val_loss != model.evaluate(images, toy.labels.data()).val_loss);

  // Decay pulls the kernels towards zero: with a strong L2 the training loss stays higher.
  auto final_loss = [&](double l2) {
    tl::TrainOptions o;
    o.epochs = 6;
    o.batch = 8;
    o.learning_rate = 0.02;
    o.l2 = l2;
    tl::Model m = exp.model("net");
    return m.train(images, toy.labels.data(), o).back().loss;
  };
  CHECK(final_loss(0.5) > 1.5 * final_loss(0.0));

  // A schedule: step(every 1, gamma 0.5) keeps epoch 1's rate, then halves it.
  auto run = [&](const tl::Schedule& schedule) {
    tl::TrainOptions o;
    o.epochs = 3;
    o.batch = 8;
    o.learning_rate = 0.02;
    o.shuffle = 0;
    o.schedule = schedule;
    tl::Model m = exp.model("net");
    return m.train(images, toy.labels.data(), o);
  };
  tl::Schedule halve;
  halve.kind = "step";
  halve.every = 1;
  halve.gamma = 0.5;
  const auto constant = run({}), halved = run(halve);
  CHECK(constant[0].loss == halved[0].loss);
  CHECK(constant[1].loss != halved[1].loss);

  tl::Model other = exp.model("net");
  tl::TrainOptions bad;
  bad.schedule.kind = "cosin";
  CHECK_THROWS_WITH_AS(other.train(images, toy.labels.data(), bad), doctest::Contains("unknown schedule 'cosin'"), tl::Error);
  bad = {};
  bad.early_stop = "val_loss";  // without validation data
  CHECK_THROWS_WITH_AS(other.train(images, toy.labels.data(), bad), doctest::Contains("needs validation data"), tl::Error);
  bad = {};
  bad.early_stop = "val_los";
  CHECK_THROWS_WITH_AS(other.train(images, toy.labels.data(), bad), doctest::Contains("not 'val_los'"), tl::Error);
  bad = {};
  bad.label_smoothing = 1.0;
  CHECK_THROWS_AS(other.train(images, toy.labels.data(), bad), tl::Error);
}

TEST_CASE("class_report: per-class figures agree with the predictions they come from") {
  const tl::Model model = trained_model(5);
  const Toy toy(64);
  std::vector<std::int32_t> labels(toy.labels);
  labels[0] = 1;  // one sample of class 0 labelled 1: a false positive of 0 and a false negative of 1
  const auto predicted = model.predict(toy.byte_images());
  const tl::ClassReport r = model.class_report(toy.byte_images(), labels.data(), 2);
  REQUIRE(r.classes == 4);
  CHECK(r.samples == 64);
  // Recomputed here from predict(): the confusion matrix, then precision and recall of each class.
  std::vector<std::int64_t> confusion(16, 0);
  for (std::size_t i = 0; i < 64; ++i) ++confusion[static_cast<std::size_t>(labels[i]) * 4 + static_cast<std::size_t>(predicted[i])];
  CHECK(r.confusion == confusion);
  for (std::size_t c = 0; c < 4; ++c) {
    std::int64_t predicted_c = 0, true_c = 0;
    for (std::size_t t = 0; t < 4; ++t) predicted_c += confusion[t * 4 + c], true_c += confusion[c * 4 + t];
    CHECK(r.support[c] == true_c);
    CHECK(r.precision[c] == doctest::Approx(predicted_c ? double(confusion[c * 5]) / predicted_c : 0.0));
    CHECK(r.recall[c] == doctest::Approx(true_c ? double(confusion[c * 5]) / true_c : 0.0));
  }
  CHECK(r.top_k == 2);
  CHECK(r.top_k_accuracy >= r.accuracy);
  CHECK_THROWS_AS(model.class_report(toy.byte_images(), labels.data(), 4), tl::Error);  // k below the classes
  labels[3] = 9;
  CHECK_THROWS_WITH_AS(model.class_report(toy.byte_images(), labels.data()), doctest::Contains("label 9 of sample 3"), tl::Error);
}

namespace {

/// A thread of a tests/support ThreadGroup as one of the processes.
struct ThreadProcess final : tl::Processes {
  tl::test::ThreadGroup* group;
  int r;
  int rank() const override { return r; }
  int size() const override { return group->size(); }
  std::vector<char> allgather(const void* data, std::size_t bytes, std::vector<std::size_t>& lengths) const override {
    return group->allgather(r, data, bytes, lengths);
  }
};

/// Runs body(rank, processes) on `n` threads at once, each one of the processes.
void as_processes(int n, const std::function<void(int, const tl::Processes&)>& body) {
  tl::test::ThreadGroup group(n);
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r)
    threads.emplace_back([&, r] {
      ThreadProcess me;
      me.group = &group;
      me.r = r;
      body(r, me);
    });
  for (auto& t : threads) t.join();
}

}  // namespace

TEST_CASE("data-parallel training through TrainOptions::processes ends where one process does") {
  auto exp = tl::Experiment::compile_source("api.tl", script);
  exp.run({scratch("tl-api-processes").string(), "reference", 1, {}});
  const Toy toy(64);
  const tl::Images images = toy.byte_images();
  tl::TrainOptions options;
  options.epochs = 3;
  options.batch = 16;
  options.seed = 4;
  tl::Model alone = exp.model("net");
  const auto one = alone.train(images, toy.labels.data(), options);
  std::vector<tl::Model> models;
  models.push_back(exp.model("net"));
  models.push_back(exp.model("net"));
  std::vector<std::vector<tl::Metrics>> histories(2);
  as_processes(2, [&](int r, const tl::Processes& me) {
    tl::TrainOptions o = options;
    o.processes = &me;
    histories[static_cast<std::size_t>(r)] = models[static_cast<std::size_t>(r)].train(images, toy.labels.data(), o);
  });
  const auto a = alone.predict_scores(images), b = models[0].predict_scores(images), c = models[1].predict_scores(images);
  REQUIRE(a.size() == b.size());
  CHECK(b == c);  // every process holds the same model
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i] == doctest::Approx(a[i]).epsilon(1e-4));
  for (std::size_t e = 0; e < one.size(); ++e) CHECK(histories[0][e].loss == doctest::Approx(one[e].loss).epsilon(1e-5));
  // A process outside its group is refused.
  tl::test::ThreadGroup group(2);
  ThreadProcess wrong;
  wrong.group = &group;
  wrong.r = 5;
  options.processes = &wrong;
  CHECK_THROWS_AS(alone.train(images, toy.labels.data(), options), tl::Error);
}

TEST_CASE("an error on one of the processes reaches every process's train(): all throw, none waits") {
  auto exp = tl::Experiment::compile_source("api.tl", script);
  exp.run({scratch("tl-api-processes-error").string(), "reference", 1, {}});
  const Toy toy(64);
  const tl::Images images = toy.byte_images();
  std::vector<std::int32_t> bad = toy.labels;
  bad[5] = 9;  // not a class: process 1's train() refuses it before training
  tl::TrainOptions options;
  options.epochs = 2;
  options.batch = 16;
  std::vector<tl::Model> models;
  models.push_back(exp.model("net"));
  models.push_back(exp.model("net"));
  std::vector<std::string> errors(2);
  as_processes(2, [&](int r, const tl::Processes& me) {
    tl::TrainOptions o = options;
    o.processes = &me;
    try {
      models[static_cast<std::size_t>(r)].train(images, r == 1 ? bad.data() : toy.labels.data(), o);
    } catch (const tl::Error& e) {
      errors[static_cast<std::size_t>(r)] = e.what();
    }
  });
  INFO(errors[0]);
  INFO(errors[1]);
  CHECK(errors[1].find("label 9 of image 5") != std::string::npos);
  CHECK(errors[0] == "tl: process 1: " + errors[1]);
}
