// CSV tables; see csv_table.hpp. The file is fed to libcsv one physical line
// at a time, so every field and row it reports belongs to a known line.
#include "runtime/data/csv_table.hpp"

#include <csv.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/image_folder.hpp"
#include "runtime/data/regular_file.hpp"

namespace tl::data {

namespace {

struct Table {
  std::string path, label;
  std::size_t line = 1;                  // the physical line being fed
  std::vector<std::string> row;          // fields of the row being read
  std::vector<std::string> header;
  int label_column = -1;
  std::size_t rows = 0;
  std::vector<float> features;
  std::vector<std::string> labels;       // the label column's text, per row
  // A failure inside a callback, kept until libcsv returns: an exception
  // must not unwind through the C library's frames.
  std::optional<DataError> error;

  [[noreturn]] void fail(const std::string& message, const std::string& hint = {}) const {
    throw DataError(fmt::format("{}:{}", path, line), std::nullopt, message, hint);
  }

  void end_row() {
    if (header.empty()) {
      header = row;
      if (header.size() == 1 && header[0].empty()) fail("the first line is empty: it should name the columns");
      if (!label.empty()) {
        const auto it = std::find(header.begin(), header.end(), label);
        if (it == header.end())
          fail(fmt::format("the header has no column '{}' (its columns: {})", label, fmt::join(header, ", ")),
               "write label = \"NAME\" with one of them");
        label_column = static_cast<int>(it - header.begin());
      }
      if (header.size() < (label.empty() ? 1u : 2u)) fail("the table has no feature columns besides its label");
      row.clear();
      return;
    }
    if (row.size() != header.size())
      fail(fmt::format("this row has {} field{}, the header has {}", row.size(), row.size() == 1 ? "" : "s", header.size()),
           "every row needs a value for every column (quote a field that holds the delimiter)");
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (static_cast<int>(c) == label_column) {
        labels.push_back(row[c]);
        continue;
      }
      features.push_back(number(row[c], c));
    }
    ++rows;
    row.clear();
  }

  float number(const std::string& text, std::size_t column) const {
    const char* begin = text.c_str();
    while (*begin == ' ' || *begin == '\t') ++begin;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(begin, &end);
    while (end && (*end == ' ' || *end == '\t')) ++end;
    const bool whole = end != begin && end && *end == '\0';
    if (!whole || !std::isfinite(v) || std::fabs(v) > 3.4e38)
      fail(fmt::format("column {} ('{}') holds '{}', which is not a finite number", column + 1, header[column],
                       text.size() > 40 ? text.substr(0, 40) + "..." : text),
           text.empty() ? "fill in the missing value (tl does not guess it)"
                        : "feature columns must be numbers; name the label column with label = \"...\"");
    return static_cast<float>(v);
  }
};

void on_field(void* data, std::size_t len, void* table) {
  auto* t = static_cast<Table*>(table);
  if (!t->error) t->row.emplace_back(static_cast<const char*>(data), len);
}

void on_row(int, void* table) {
  auto* t = static_cast<Table*>(table);
  if (t->error) return;
  try {
    t->end_row();
  } catch (const DataError& e) {
    t->error = e;
  }
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

ImagesAndLabels read_csv_table(const std::string& path, const std::string& label, char delimiter) {
  require_regular_file(path, "CSV file");
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    throw DataError(path, std::nullopt, fmt::format("cannot open the file: {}", std::strerror(errno)),
                    "check the path (relative paths are relative to the script's folder)");
  Table t;
  t.path = path;
  t.label = label;
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw std::bad_alloc();
  struct Freer {
    csv_parser* p;
    ~Freer() { csv_free(p); }
  } freer{&parser};
  csv_set_delim(&parser, static_cast<unsigned char>(delimiter));
  // libcsv grows a field's buffer by this much at a time (128 bytes by
  // default): a long field would otherwise take thousands of reallocations,
  // each copying the field so far.
  csv_set_blk_size(&parser, std::size_t{1} << 16);

  // 1. Feed one physical line at a time (a line ends at '\n'), counting
  //    lines, in chunks of at most 64 KiB, a line at most max_csv_line.
  std::vector<char> buffer(std::size_t{1} << 16);
  std::size_t line_bytes = 0;
  bool first = true;
  while (true) {
    const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got == 0) break;
    std::size_t start = 0;
    if (first && got >= 3 && std::memcmp(buffer.data(), "\xEF\xBB\xBF", 3) == 0) start = 3;  // a UTF-8 BOM
    first = false;
    while (start < got) {
      const char* nl = static_cast<const char*>(std::memchr(buffer.data() + start, '\n', got - start));
      const std::size_t end = nl ? static_cast<std::size_t>(nl - buffer.data()) + 1 : got;
      line_bytes += end - start;
      if (line_bytes > max_csv_line)
        t.fail(fmt::format("the line is longer than {} KiB", max_csv_line >> 10),
               "is this a CSV file? tl reads tables whose lines are shorter than 1 MiB");
      const std::size_t parsed = csv_parse(&parser, buffer.data() + start, end - start, on_field, on_row, &t);
      if (t.error) throw *t.error;
      if (parsed != end - start)
        t.fail(fmt::format("malformed CSV: {}", csv_strerror(csv_error(&parser))),
               "a quote inside a quoted field is written twice (\"\"), and a quoted field ends with its quote");
      if (nl) {
        ++t.line;
        line_bytes = 0;
      }
      start = end;
    }
  }
  if (std::ferror(file.get())) throw DataError(path, std::nullopt, "cannot read the file");
  const int finished = csv_fini(&parser, on_field, on_row, &t);
  if (t.error) throw *t.error;
  if (finished != 0)
    t.fail(fmt::format("malformed CSV at the end of the file: {}", csv_strerror(csv_error(&parser))),
           "a quoted field is not closed");
  if (t.header.empty()) throw DataError(path, std::nullopt, "the file is empty", "a CSV table starts with a line naming its columns");
  if (t.rows == 0) throw DataError(path, std::nullopt, "the table has a header but no rows");

  // 2. The dataset: flat float samples, labels as numbers or class names.
  ImagesAndLabels out;
  out.is_float = true;
  out.flat = true;
  out.height = out.width = 1;
  out.channels = static_cast<int>(t.header.size() - (t.label_column >= 0 ? 1 : 0));
  out.floats = std::move(t.features);
  if (t.label_column < 0) {
    out.labels.assign(t.rows, -1);
    out.labelled = false;
    return out;
  }
  const bool numeric = std::all_of(t.labels.begin(), t.labels.end(), [](const std::string& s) {
    return !s.empty() && s.size() <= 3 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(s) <= 255;
  });
  if (numeric) {
    for (const auto& s : t.labels) out.labels.push_back(std::stoi(s));
    return out;
  }
  const std::set<std::string> names(t.labels.begin(), t.labels.end());
  if (names.size() > static_cast<std::size_t>(max_classes))
    throw DataError(path, std::nullopt,
                    fmt::format("the label column '{}' holds {} different values; tl takes up to {} classes", label,
                                names.size(), max_classes),
                    "is it really the label? name the class column with label = \"...\"");
  out.class_names.assign(names.begin(), names.end());
  for (const auto& s : t.labels)
    out.labels.push_back(static_cast<std::int32_t>(std::lower_bound(out.class_names.begin(), out.class_names.end(), s) -
                                                   out.class_names.begin()));
  return out;
}

}  // namespace tl::data
