// Dataset lookup along the search path; see locate.hpp.
#include "runtime/data/locate.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

namespace tl::data {

namespace fs = std::filesystem;

namespace {

bool is_file(const fs::path& p) {
  std::error_code ec;  // unreadable or odd entries count as absent, never throw
  return fs::is_regular_file(p, ec);
}

/// The file to use for one standard name, raw preferred over ".gz".
std::optional<std::string> find_file(const fs::path& dir, const std::string& base) {
  if (is_file(dir / base)) return (dir / base).string();
  if (is_file(dir / (base + ".gz"))) return (dir / (base + ".gz")).string();
  return std::nullopt;
}

}  // namespace

std::optional<NamedDataset> locate_named(const std::string& name, const std::vector<std::string>& search_dirs) {
  for (const std::string& search_dir : search_dirs) {
    const fs::path dir = fs::path(search_dir) / name;
    std::optional<std::string> found[4];
    bool complete = true;
    for (int i = 0; i < 4 && complete; ++i) complete = (found[i] = find_file(dir, idx_file_names[i])).has_value();
    if (complete) return NamedDataset{{*found[0], *found[1]}, {*found[2], *found[3]}, dir.string()};
  }
  return std::nullopt;
}

std::vector<std::string> available_named(const std::vector<std::string>& search_dirs) {
  std::vector<std::string> names;
  for (const std::string& search_dir : search_dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(search_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (std::find(names.begin(), names.end(), name) == names.end() && locate_named(name, {search_dir}))
        names.push_back(name);
    }
  }
  return names;
}

std::vector<std::string> default_search_dirs(const std::string& script_dir) {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("TL_DATA_PATH")) {
    const std::string text = env;
    for (std::size_t start = 0; start <= text.size();) {
      std::size_t end = text.find(':', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) dirs.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }
  const fs::path script = script_dir.empty() ? fs::path(".") : fs::path(script_dir);
  dirs.push_back((script / "data").string());
  dirs.push_back((script / ".." / "data").string());
  dirs.push_back((script / ".." / ".." / "data").string());
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  dirs.push_back(ec ? std::string("data") : (cwd / "data").string());
  dirs.push_back("/usr/share/datasets");
  return dirs;
}

std::string describe_search(const std::string& name, const std::vector<std::string>& search_dirs) {
  std::string out = fmt::format("looked for {}/ in:", name);
  for (const std::string& search_dir : search_dirs) {
    const fs::path dir = fs::path(search_dir) / name;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      out += fmt::format("\n  {}: no directory {}/", search_dir, name);
      continue;
    }
    std::string missing;
    for (const char* base : idx_file_names)
      if (!find_file(dir, base)) missing += fmt::format("{}{}[.gz]", missing.empty() ? "" : ", ", base);
    out += missing.empty() ? fmt::format("\n  {}: {}/ is complete", search_dir, name)
                           : fmt::format("\n  {}: {}/ lacks {}", search_dir, name, missing);
  }
  return out;
}

}  // namespace tl::data
