// Predictions for image files and folders; see predict_files.hpp.
#include "runtime/run/predict_files.hpp"

#include <filesystem>

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image/decode.hpp"
#include "runtime/data/image/resize.hpp"
#include "runtime/data/image_folder.hpp"
#include "runtime/io/model_file.hpp"
#include "runtime/train/predict.hpp"

namespace tl::run {

PredictResult predict_files(const std::string& model_path, const std::vector<std::string>& paths,
                            const PredictOptions& options) {
  io::LoadedModel model = io::load_model(model_path);
  const check::Layer& input = model.spec.layers.front();
  if (input.shape.size() != 3)
    throw data::DataError(model_path, std::nullopt,
                          fmt::format("the model takes {} values per sample, not images", input.shape.size() == 1 ? input.shape[0] : 0),
                          "tlc predict reads images; a model of flat inputs predicts through the C++ API");
  const std::optional<data::PixelMap> map = options.pixels ? options.pixels : model.pixels;
  if (!map)
    throw data::DataError(model_path, std::nullopt, "the model file does not say how its pixels were scaled (no tl.pixels)",
                          "give the scaling its training data had: --scale 0.00392156862745098 for `scale 1/255`, "
                          "and --offset for a normalize");
  data::FolderOptions read;
  read.height = static_cast<int>(input.shape[0]);
  read.width = static_cast<int>(input.shape[1]);
  read.channels = static_cast<int>(input.shape[2]);
  read.skip_bad = options.skip_bad;
  if (read.channels != 1 && read.channels != 3)
    throw data::DataError(model_path, std::nullopt,
                          fmt::format("the model takes images of {} channels; tlc predict reads gray (1) and RGB (3)", read.channels));

  // 1. Every image, in the order given (a folder's in its listing order).
  data::ImagesAndLabels all;
  all.height = read.height;
  all.width = read.width;
  all.channels = read.channels;
  std::vector<std::string> truth;
  PredictResult result;
  for (const std::string& path : paths) {
    std::error_code not_a_folder;
    if (std::filesystem::is_directory(path, not_a_folder)) {
      const data::FolderListing listing = data::list_folder(path, read);
      data::ImagesAndLabels part = data::load_folder(listing, read);
      all.pixels.insert(all.pixels.end(), part.pixels.begin(), part.pixels.end());
      for (std::size_t i = 0; i < part.files.size(); ++i) {
        all.files.push_back(part.files[i]);
        truth.push_back(part.labelled ? part.class_names[static_cast<std::size_t>(part.labels[i])] : "");
      }
      result.skipped.insert(result.skipped.end(), part.skipped.begin(), part.skipped.end());
      continue;
    }
    try {
      const data::image::Image img = data::image::read_image(path, read.height, read.width, read.channels);
      all.pixels.insert(all.pixels.end(), img.pixels.begin(), img.pixels.end());
      all.files.push_back(path);
      truth.emplace_back();
    } catch (const data::DataError& e) {
      if (!options.skip_bad) throw;
      result.skipped.emplace_back(path, e.message());
    }
  }
  all.labels.assign(all.files.size(), -1);
  all.labelled = false;
  if (all.files.empty()) return result;
  data::Dataset ds = data::make_dataset(std::move(all));
  ds.pixels = *map;

  // 2. Scores, then each image's best classes.
  train::ModelState state{&model.spec, std::move(model.vars)};
  const auto executor = exec::make_executor(options.backend, options.threads);
  const std::vector<float> scores = train::predict_scores(*executor, state, ds, 64);
  const std::size_t classes = model.spec.outputs();
  std::vector<std::size_t> order(classes);
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const float* row = scores.data() + i * classes;
    std::iota(order.begin(), order.end(), std::size_t{0});
    const std::size_t k = std::min<std::size_t>(static_cast<std::size_t>(std::max(options.top, 1)), classes);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](std::size_t a, std::size_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
    Prediction p;
    p.file = ds.file_of(i);
    p.truth = truth[i];
    for (std::size_t j = 0; j < k; ++j)
      p.top.emplace_back(check::class_name(model.spec.class_names, static_cast<std::int64_t>(order[j])),
                         row[order[j]]);
    result.rows.push_back(std::move(p));
  }
  return result;
}

}  // namespace tl::run
