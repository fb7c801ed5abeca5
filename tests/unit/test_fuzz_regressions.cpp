// Regressions for what fuzzing found (fuzz/, docs/reliability.md): each case
// is the smallest input that crashed or hit undefined behaviour before its
// fix. Script findings live in tests/golden/errors/ (size_*.tl,
// syntax_nesting_too_deep.tl) and tests/unit/test_hostile_inputs.cpp.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "runtime/data/data_error.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/io/safetensors.hpp"
#include "runtime/train/model_state.hpp"
#include "tests/unit/fixtures.hpp"

namespace fs = std::filesystem;

namespace {

/// read_safetensors' message for a file holding `header` and no data.
std::string load_error(const std::string& header) {
  const std::string path =
      (fs::temp_directory_path() / ("tl-fuzz-regression-" + std::to_string(::getpid()) + ".safetensors")).string();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    const std::uint64_t n = header.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
  }
  std::string message;
  try {
    tl::io::read_safetensors(path);
  } catch (const tl::data::DataError& e) {
    message = e.message();
  }
  fs::remove(path);
  return message;
}

std::string nested_array(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

/// The description tl writes for a small checked model.
nlohmann::json small_description() {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("small.tl",
                                      "model small(classes) {\n"
                                      "  input(4, 4, 1)\n"
                                      "  conv2d(2, 2x2)\n"
                                      "  flatten()\n"
                                      "  dense(classes, softmax)\n"
                                      "}\n"
                                      "net = small(3)\n"
                                      "summary net\n",
                                      store);
  return tl::io::describe_model(exp.models.at(0));
}

std::string description_error(const nlohmann::json& description) {
  try {
    tl::io::model_from_description(description);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

/// A checked 4x4x1 -> 3-class model, its initial weights, and a scratch
/// model-file path for the test `what`.
struct SmallModelFile {
  tl::data::DataStore store;
  tl::check::Experiment exp;
  tl::exec::Variables vars;
  std::string path;
  explicit SmallModelFile(const std::string& what)
      : exp(tl::test::check_ok("small.tl",
                               "model small(classes) {\n  input(4, 4, 1)\n  flatten()\n  dense(classes, softmax)\n}\n"
                               "net = small(3)\nsummary net\n",
                               store)),
        vars(tl::train::initialise(exp.models.at(0), 1).vars),
        path((fs::temp_directory_path() / ("tl-" + what + "-" + std::to_string(::getpid()) + ".safetensors")).string()) {}
  ~SmallModelFile() { fs::remove(path); }
  const tl::check::ModelSpec& spec() const { return exp.models.at(0); }
};

/// What load_model says of the model file at `path` once its metadata entry
/// `key` is set to `value` ("" when it loads).
std::string load_error_with(const std::string& path, const std::string& key, const std::string& value) {
  tl::io::TensorFile file = tl::io::read_safetensors(path);
  file.metadata[key] = value;
  tl::io::write_safetensors(path, file);
  try {
    tl::io::load_model(path);
  } catch (const tl::data::DataError& e) {
    return e.message();
  }
  return "";
}

}  // namespace

TEST_CASE("a deeply nested value in a safetensors header is an error, not a stack overflow") {
  // The error messages used to dump() the value, which recurses per level.
  const std::string deep = nested_array(200000);
  CHECK(load_error(R"({"t": {"dtype": )" + deep + R"(, "shape": [], "data_offsets": [0, 0]}})") ==
        "tensor 't': dtype a JSON array is not supported (tl stores F32)");
  CHECK(load_error(R"({"t": {"dtype": "F32", "shape": [)" + deep + R"(], "data_offsets": [0, 0]}})") ==
        "tensor 't': the shape holds a bad dimension a JSON array");
  CHECK(load_error(R"({"t": {"dtype": "F32", "shape": {"a": 1}, "data_offsets": [0, 0]}})") ==
        "tensor 't': the shape must be an array of sizes, not a JSON object");
  // Long scalars are shortened.
  CHECK(load_error(R"({"t": {"dtype": ")" + std::string(1000, 'x') + R"(", "shape": [], "data_offsets": [0, 0]}})") ==
        "tensor 't': dtype \"" + std::string(39, 'x') + "... is not supported (tl stores F32)");
}

TEST_CASE("numbers in a model description are range-checked, never converted blindly") {
  // get<int>() on 1e300 was undefined behaviour; 2^40 wrapped.
  const nlohmann::json good = small_description();
  CHECK(description_error(good) == "");

  nlohmann::json d = good;
  d["output"] = 1e300;
  CHECK(description_error(d) == "the output layer index must be a whole number from 0 to 2147483647");
  d = good;
  d["layers"][1]["units"] = 1e300;
  CHECK(description_error(d) == "layer 'conv2d' units must be a whole number from 0 to 2147483647");
  d = good;
  d["layers"][1]["strides"][0] = 0;
  CHECK(description_error(d) == "layer 'conv2d' strides must be a whole number from 1 to 2147483647");
  d = good;
  d["layers"][1]["params"][0]["fan_in"] = -1;
  CHECK(description_error(d) ==
        "tensor 'conv2d/kernel' fan_in must be a whole number from 0 to 9223372036854775807");
  d = good;
  d["layers"][1]["inputs"][0] = std::uint64_t{1} << 40;
  CHECK(description_error(d) == "layer 'conv2d' inputs must be a whole number from 0 to 2147483647");
  d = good;
  d["layers"][0]["shape"] = {1000000000000000, 1000000000000000, 1};
  CHECK(description_error(d) == "layer 'input' shape sizes must be a whole number from 1 to 2147483647");
  d = good;
  d["layers"][0]["shape"] = {2000000000, 2000000000, 1};
  CHECK(description_error(d) == "layer 'input' shape must be an array of sizes holding at most 2147483647 values");
  d = good;
  d["layers"][1]["params"][0]["shape"] = "2x2";
  CHECK(description_error(d) ==
        "tensor 'conv2d/kernel' shape must be an array of sizes holding at most 2147483647 values");
}

TEST_CASE("a model file's pixel map (tl.pixels) round-trips exactly, and a bad one is an error") {
  const SmallModelFile m("pixels");
  const tl::data::PixelMap pixels{1.0 / 255 / 0.3081, -0.1307 / 0.3081};
  tl::io::save_model(m.path, m.spec(), m.vars, pixels);
  const auto loaded = tl::io::load_model(m.path);
  REQUIRE(loaded.pixels.has_value());
  CHECK(loaded.pixels->float_scale() == pixels.float_scale());
  CHECK(loaded.pixels->float_offset() == pixels.float_offset());
  tl::io::save_model(m.path, m.spec(), m.vars);
  CHECK_FALSE(tl::io::load_model(m.path).pixels.has_value());

  auto error_with = [&](const std::string& value) { return load_error_with(m.path, "tl.pixels", value); };
  const std::string shape =
      "the pixel map (tl.pixels) is invalid: not an object with numbers scale and offset (or arrays of them, one per "
      "channel)";
  const std::string range = "the pixel map (tl.pixels) is invalid: scale and offset must be finite floats and scale non-zero";
  const std::string json = "the pixel map (tl.pixels) is invalid: not valid JSON (or a number out of range)";
  CHECK(error_with("not json") == json);
  CHECK(error_with("[1, 2]") == shape);
  CHECK(error_with(R"({"scale": 1})") == shape);
  CHECK(error_with(R"({"scale": "1/255", "offset": 0})") == shape);
  CHECK(error_with(R"({"scale": 0, "offset": 0})") == range);
  CHECK(error_with(R"({"scale": 1e39, "offset": 0})") == range);
  CHECK(error_with(R"({"scale": 1, "offset": -1e400})") == json);
  CHECK(error_with(std::string(100000, '[')) == json);  // deep nesting: an error, not a stack overflow
  CHECK(error_with(std::string(100000, '[') + std::string(100000, ']')) == shape);
  CHECK(error_with(R"({"scale": 0.5, "offset": -1})") == "");
  // Per channel: one value per input channel (this model's input has one).
  CHECK(error_with(R"({"scale": [0.5], "offset": [-1]})") == "");
  CHECK(error_with(R"({"scale": [0.5, 1], "offset": [0, 0]})") ==
        "the pixel map (tl.pixels) is invalid: it maps 2 channels, but the model's input has 1");
  CHECK(error_with(R"({"scale": [0.5], "offset": [0, 0]})") == shape);
  CHECK(error_with(R"({"scale": [0.5], "offset": 0})") == shape);
  CHECK(error_with(R"({"scale": [], "offset": []})") == shape);
  CHECK(error_with(R"({"scale": ["1"], "offset": [0]})") == shape);
  CHECK(error_with(R"({"scale": [0], "offset": [0]})") == range);
}

TEST_CASE("a per-channel pixel map round-trips through a model file exactly") {
  tl::data::DataStore store;
  const auto exp = tl::test::check_ok("rgb.tl", "model rgb() {\n  input(2, 2, 3)\n  flatten()\n  dense(2, softmax)\n}\nnet = rgb()\nsummary net\n", store);
  const auto vars = tl::train::initialise(exp.models.at(0), 1).vars;
  const std::string path = (fs::temp_directory_path() / ("tl-rgb-" + std::to_string(::getpid()) + ".safetensors")).string();
  const tl::data::PixelMap map = tl::data::PixelMap{}.scaled(1.0 / 255).normalized({0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}, 3);
  tl::io::save_model(path, exp.models.at(0), vars, map);
  const auto loaded = tl::io::load_model(path);
  fs::remove(path);
  REQUIRE(loaded.pixels.has_value());
  REQUIRE(loaded.pixels->per_channel());
  for (std::size_t c = 0; c < 3; ++c) {
    CHECK(loaded.pixels->float_scale(c) == map.float_scale(c));
    CHECK(loaded.pixels->float_offset(c) == map.float_offset(c));
  }
  CHECK(map.float_offset(0) == static_cast<float>(-0.485 / 0.229));
}

TEST_CASE("a model file's class names (tl.classes) round-trip, and a bad list is an error") {
  const SmallModelFile m("classes");
  tl::io::save_model(m.path, m.spec(), m.vars, std::nullopt, {"cat", "dog", "caf\u00e9 \"au lait\""});
  CHECK(tl::io::load_model(m.path).spec.class_names == std::vector<std::string>{"cat", "dog", "caf\u00e9 \"au lait\""});
  tl::io::save_model(m.path, m.spec(), m.vars);
  CHECK(tl::io::load_model(m.path).spec.class_names.empty());
  for (const std::string bad : {"[\"a\", \"b\"]", "[1, 2, 3]", "{}", "not json", "[\"a\", \"b\", \"c\", \"d\"]"})
    CHECK_MESSAGE(load_error_with(m.path, "tl.classes", bad) ==
                      "the class names (tl.classes) are invalid: not a list of 3 strings, one per output",
                  bad);
}
