// A per-process scratch folder for the fuzz targets: the readers under test
// take paths, so each input is written to a file here first. The folder is
// removed when the fuzzer exits normally (a crash leaves it for inspection).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace tl::fuzz {

class ScratchDir {
 public:
  /// Creates <temp>/tl-fuzz-<tag>-<pid>, empty.
  explicit ScratchDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("tl-fuzz-" + tag + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  /// Writes `size` bytes to the file `name` (replacing it); returns its path.
  std::string write(const std::string& name, const std::uint8_t* data, std::size_t size) const {
    const std::string p = file(name);
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                               static_cast<std::streamsize>(size));
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace tl::fuzz
