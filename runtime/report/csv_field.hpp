// CSV fields per RFC 4180: a field holding a comma, a double quote, CR or LF
// is quoted, its quotes doubled. Dataset expressions such as
// `digits | relabel {7: 0, 8: 1}` are written this way, so the columns of
// history.csv and compare-N.csv stay in place.
#pragma once

#include <string>
#include <string_view>

namespace tl::report {

std::string csv_field(std::string_view text);

}  // namespace tl::report
