// See run_folder.hpp.
#include "runtime/run/run_folder.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tl::run {

namespace fs = std::filesystem;

namespace {

/// The names a record lists, one per line; none when there is no record.
std::set<std::string> read_record(const fs::path& path) {
  std::set<std::string> names;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.insert(line);
  return names;
}

/// The path as it would be after resolving symbolic links and dots, for comparing two spellings.
std::string resolved(const fs::path& p) {
  std::error_code ec;
  const fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p.lexically_normal().string() : c.string();
}

}  // namespace

void RunFolder::start_fresh(const std::set<std::string>& keep) {
  fs::create_directories(dir_);
  std::set<std::string> kept;
  for (const std::string& k : keep) kept.insert(resolved(k));
  // Names under charts/ only while charts/ is a directory of its own, not a
  // link to somewhere else.
  std::error_code link_ec;
  const bool charts_dir = fs::is_directory(fs::symlink_status(fs::path(dir_) / "charts", link_ec));
  for (const std::string& name : read_record(fs::path(dir_) / record_name)) {
    // Only plain names of this folder or of its charts/ (the chart sources): a
    // damaged or hostile record can't reach elsewhere.
    const bool in_charts = name.rfind("charts/", 0) == 0;
    if (in_charts && !charts_dir) continue;
    const std::string plain = in_charts ? name.substr(7) : name;
    if (plain.empty() || plain.find('/') != std::string::npos || plain == "." || plain == "..") continue;
    const fs::path path = fs::path(dir_) / name;
    if (kept.count(resolved(path))) continue;
    std::error_code ec;
    if (fs::is_regular_file(fs::symlink_status(path, ec))) fs::remove(path, ec);
  }
  recorded_.clear();
  std::ofstream out(fs::path(dir_) / record_name, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + (fs::path(dir_) / record_name).string());
}

void RunFolder::resume() {
  fs::create_directories(dir_);
  recorded_ = read_record(fs::path(dir_) / record_name);
}

std::string RunFolder::file(const std::string& name) {
  if (recorded_.insert(name).second) {
    std::ofstream out(fs::path(dir_) / record_name, std::ios::app);
    out << name << "\n";
    if (!out) throw std::runtime_error("cannot write " + (fs::path(dir_) / record_name).string());
  }
  return (fs::path(dir_) / name).string();
}

}  // namespace tl::run
