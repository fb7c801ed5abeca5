// A FILE* whose output goes, line by line, to a tl::LogHandler (or nowhere),
// so the runtime's reporters can print without the library touching stdout.
#pragma once

#include <cstdio>

#include "tl/tl.hpp"

namespace tl::api {

/// fclose() flushes the last partial line. Never null.
std::FILE* open_log_stream(const LogHandler& handler);

}  // namespace tl::api
