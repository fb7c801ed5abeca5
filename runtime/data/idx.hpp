// IDX files (the MNIST container format): reading them robustly, raw or
// gzipped, and writing them (for test fixtures and exporting subsets).
//
// Layout: bytes 0,1 = 0x00; byte 2 = element type (only 0x08, unsigned byte,
// is supported); byte 3 = number of dimensions; then one big-endian uint32 per
// dimension; then the elements, row-major. Nothing may follow the elements.
//
// Every problem is reported as a DataError with the file's path and the byte
// offset (in the decompressed stream for gzip files) where it was found.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace tl::data {

/// An array of unsigned bytes with its shape; bytes.size() == product(dims).
struct IdxArray {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> bytes;
};

/// Largest data size a header may declare. Real datasets in this format are a
/// few hundred MB; anything above this is a corrupt or hostile header.
inline constexpr std::uint64_t idx_max_data_bytes = std::uint64_t{1} << 31;

/// Reads the IDX file at `path` (gzip is detected by its 0x1f 0x8b magic, not
/// by the file name). `expected_dims` is the required number of dimensions
/// (e.g. 1 for labels, 3 for images) or 0 for any.
///
/// Guarantees: the header is validated completely before any data buffer is
/// allocated; for raw files the declared size is checked against the real file
/// size first, and gzip data is read into a buffer that only grows as data
/// actually arrives, so a lying header never causes a large allocation.
/// Throws DataError on any problem.
IdxArray read_idx(const std::string& path, int expected_dims = 0);

/// As above, accepting any number of dimensions listed in `allowed_dims`.
IdxArray read_idx(const std::string& path, std::initializer_list<int> allowed_dims);

/// Writes `array` as an IDX file of unsigned bytes, gzip-compressed if `gzip`.
/// Precondition: 1 <= dims.size() <= 255 and bytes.size() == product(dims)
/// (std::invalid_argument otherwise). Throws DataError if the file can't be
/// written.
void write_idx(const std::string& path, const IdxArray& array, bool gzip = false);

}  // namespace tl::data
