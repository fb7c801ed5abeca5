// NumPy .npy files (format versions 1, 2 and 3): the header's dictionary
// ('descr', 'fortran_order', 'shape') and the raw data. tl parses the header
// itself: xtensor's load_npy trusts it (it allocates what the shape claims
// before reading, reads past short files, and indexes empty strings), so it
// is unfit for files from elsewhere; this reader checks every field against
// the file's real size before allocating and is fuzzed (fuzz/fuzz_npy.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/data/dataset.hpp"

namespace tl::data {

struct NpyArray {
  char kind = 'u';   ///< 'u' unsigned integer, 'i' signed integer, 'f' float, 'b' bool
  int item_bytes = 1;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;  ///< C order, little-endian (big-endian files are swapped)

  std::int64_t count() const;  ///< product of the shape (1 for a scalar)
  /// "uint8", "float32", "int64", ... for messages.
  std::string dtype_name() const;
};

/// Reads the file at `path`. Throws DataError naming the file and the byte
/// offset for: not an .npy file, an unknown version, a malformed header, a
/// structured or unsupported dtype, Fortran order, a data section whose size
/// differs from what the shape says, more than 2^31 bytes of data.
NpyArray read_npy(const std::string& path);

/// The same for the file's bytes in memory; `name` is used in errors.
NpyArray parse_npy(const std::uint8_t* bytes, std::size_t size, const std::string& name);

/// `npy("x.npy", labels = "y.npy")`: samples from `images_path`, uint8 or
/// float32, shaped (N, H, W) (one channel), (N, H, W, C) or (N, F) (flat
/// vectors); labels from `labels_path`, any integer dtype, shaped (N), each
/// in 0..255. An empty `labels_path` gives an unlabelled dataset. Throws
/// DataError naming the file for any other dtype or shape, a count that
/// differs between the two files, a label out of range.
ImagesAndLabels read_npy_pair(const std::string& images_path, const std::string& labels_path);

}  // namespace tl::data
