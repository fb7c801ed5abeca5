// CSV tables as datasets: `csv("file.csv", label = "species")`. The first
// row names the columns; the label column holds integers 0..255 (labels as
// they are) or any other text (class names, numbered in sorted order); every
// other column is a numeric feature, and a row becomes a flat sample of
// those values (float32), for a model whose input is input(F). Parsed with
// libcsv (Debian's libcsv-dev) in strict mode: RFC 4180 quoting, CRLF or LF.
#pragma once

#include <string>

#include "runtime/data/dataset.hpp"

namespace tl::data {

/// Longest line tl reads, so a file without line breaks cannot make it hold
/// more than this of one row.
inline constexpr std::size_t max_csv_line = std::size_t{1} << 20;

/// Reads `path`; `label` names the label column ("" for none: an unlabelled
/// table); `delimiter` separates fields. Throws DataError, naming the file
/// and the line (`table.csv:17`), for: a missing header, a label column the
/// header lacks (listing the columns), a row whose field count differs from
/// the header's, a feature that is not a finite number, malformed quoting, a
/// line longer than max_csv_line, more than 256 classes or a label integer
/// past 255, no rows.
ImagesAndLabels read_csv_table(const std::string& path, const std::string& label, char delimiter = ',');

}  // namespace tl::data
