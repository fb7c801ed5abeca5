// DataFileError (see data_source.hpp).
#include "compiler/check/data_source.hpp"

namespace tl::check {

DataFileError::DataFileError(std::string where, std::string message, std::string hint)
    : std::runtime_error(where + ": " + message), where_(std::move(where)), message_(std::move(message)), hint_(std::move(hint)) {}

}  // namespace tl::check
