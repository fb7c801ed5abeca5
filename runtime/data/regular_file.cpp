// See regular_file.hpp.
#include "runtime/data/regular_file.hpp"

#include <sys/stat.h>

#include "runtime/data/data_error.hpp"

namespace tl::data {

void require_regular_file(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;  // a missing file: the reader's open() says so
  const char* kind = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO (named pipe)"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a device";
  throw DataError(path, std::nullopt, std::string("this is ") + kind + ", not a regular file", 
                  S_ISDIR(st.st_mode) ? "name one of the files inside it" : "tl reads " + what + "s from regular files; copy the data into one");
}

}  // namespace tl::data
