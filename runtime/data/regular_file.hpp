// Data and model files must be regular files: opening a FIFO to read blocks
// until something writes to it (tlc would hang), and a directory or a device
// is never what a script meant. Readers call this before they open a file.
#pragma once

#include <string>

namespace tl::data {

/// Throws DataError naming `path` when it exists but is not a regular file
/// (a directory, FIFO, socket or device); a missing file is left to the
/// reader's open(), which reports it. `what`: "IDX file", "model file", for
/// the message. Follows symbolic links.
void require_regular_file(const std::string& path, const std::string& what);

}  // namespace tl::data
