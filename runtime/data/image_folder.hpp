// Image folders, the way Keras' image_dataset_from_directory and
// torchvision's ImageFolder read them: one subfolder per class (classes in
// sorted order of the subfolder names, each searched recursively), or, with
// no subfolders, a set of unlabelled images to predict. Files are taken in
// sorted order of their paths; only .png .jpg .jpeg .bmp files (any case) are
// images, other files and hidden ones (".name") are ignored.
//
// Reading is two steps: list() walks the folder and reads every file's
// header (no pixels decoded), so the sample shape and the classes are known
// cheaply; load() decodes, converts (gray/RGB, as PIL's convert) and resizes
// (PIL's BILINEAR) every image, on several threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "runtime/data/dataset.hpp"
#include "runtime/data/image/image.hpp"

namespace tl::data {

struct FolderOptions {
  int height = 0, width = 0;  ///< resize to this; 0: every image must already have one size
  int channels = 0;           ///< 1 (gray) or 3 (RGB); 0: 3 if any file is in colour, else 1
  bool skip_bad = false;      ///< skip (and record) files that fail to read, instead of stopping
  int threads = 0;            ///< decoding threads; 0: the machine's cores
};

/// Most classes a folder may have (labels are bytes in the pipeline's stages).
inline constexpr int max_classes = 256;

struct FolderListing {
  std::string root;
  std::vector<std::string> class_names;  ///< sorted subfolder names; empty: unlabelled
  std::vector<std::string> files;        ///< every image file, by class, then path
  std::vector<std::int32_t> labels;      ///< per file; -1 when unlabelled
  std::vector<image::Header> headers;    ///< per file
  std::vector<std::pair<std::string, std::string>> skipped;  ///< files whose header failed (skip_bad)
  int height = 0, width = 0, channels = 0;  ///< the sample shape the images will have
};

/// Walks `root` and reads every image's header. Throws DataError for: a
/// missing or unreadable folder, no images, an empty class folder, more than
/// max_classes classes, image files beside class folders, a symbolic link
/// loop, a file whose header fails (unless skip_bad), and images of
/// different sizes when no size is given (naming two that differ).
FolderListing list_folder(const std::string& root, const FolderOptions& options);

/// Decodes the listed images. A file that fails to decode is an error
/// naming it (the first such file in listing order), or skipped and recorded
/// with skip_bad. Throws DataError when every file is skipped.
ImagesAndLabels load_folder(const FolderListing& listing, const FolderOptions& options);

}  // namespace tl::data
