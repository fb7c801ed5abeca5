// Model files: a trained model's weights as safetensors (tensor names
// "<layer>/<param>", readable by any safetensors tool) with the model's
// description (layers, shapes, attributes) as JSON in the metadata, so a
// file alone is enough to rebuild and run the model.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "compiler/check/experiment.hpp"
#include "runtime/data/dataset.hpp"
#include "runtime/exec/executor.hpp"

namespace tl::io {

/// The description stored in a model file's "tl.model" metadata entry.
nlohmann::json describe_model(const check::ModelSpec& model);
/// Rebuilds a ModelSpec; throws std::invalid_argument naming what is wrong.
check::ModelSpec model_from_description(const nlohmann::json& description);

/// Writes the model's parameters and batchnorm statistics (not optimizer
/// state) atomically, and, when known, `pixels`: the pixel map of the bytes
/// the model was trained on, stored as the "tl.pixels" metadata entry
/// {"scale": s, "offset": o} with the map's floats (the values consumers
/// apply), and `classes`, the name of each output ("tl.classes", a JSON list;
/// none when empty). Throws data::DataError if the file cannot be written.
void save_model(const std::string& path, const check::ModelSpec& model, const exec::Variables& vars,
                const std::optional<data::PixelMap>& pixels = std::nullopt,
                const std::vector<std::string>& classes = {});

struct LoadedModel {
  check::ModelSpec spec;  ///< with class_names from "tl.classes", when the file has them
  exec::Variables vars;
  std::optional<data::PixelMap> pixels;  ///< the stored floats; absent in files written without one
};

/// Throws data::DataError naming the file and what is wrong: not a
/// safetensors file, no tl description, a tensor missing or of the wrong
/// shape, a pixel map that is not two finite numbers with a non-zero scale,
/// class names that are not one string per output.
LoadedModel load_model(const std::string& path);

}  // namespace tl::io
