// `tlc predict MODEL PATH...`: a model file's predictions for image files and
// image folders, the deploy case in one command. Each image is read as the
// model's data was (decoded, converted to the model's channels, resized to
// its input with PIL's bilinear filter, mapped by the model's pixel map) and
// gets the model's best class, by name when the model file has names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/data/dataset.hpp"

namespace tl::run {

struct PredictOptions {
  std::string backend = "jit";
  int threads = 0;
  int top = 1;                    ///< classes listed per image, best first
  bool skip_bad = false;          ///< skip unreadable images (listed) instead of stopping
  std::optional<data::PixelMap> pixels;  ///< overrides (or stands in for) the model file's pixel map
};

struct Prediction {
  std::string file;
  std::string truth;  ///< the class folder's name, for a labelled folder; else ""
  std::vector<std::pair<std::string, float>> top;  ///< (class name, score), best first
};

struct PredictResult {
  std::vector<Prediction> rows;
  std::vector<std::pair<std::string, std::string>> skipped;  ///< file, why
};

/// Throws data::DataError for an unreadable model file, image or folder, a
/// model that does not take images, or a model file without a pixel map
/// when none is given.
PredictResult predict_files(const std::string& model_path, const std::vector<std::string>& paths,
                            const PredictOptions& options);

}  // namespace tl::run
