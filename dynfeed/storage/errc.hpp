#pragma once

#include "dynfeed/base/error.hpp"

#include <cstdint>

namespace dynfeed {

/// Why a store refused or failed an operation.
enum class store_errc : uint8_t {
  io_error = 1,   ///< the storage engine reported an error
  corrupt,        ///< a stored record has the wrong format or fails its checksum
  locked,         ///< another process has the store open
  not_found,      ///< there is no store at that path
  already_exists, ///< creating a store where one exists
  version,        ///< the store was written by an incompatible version
  no_space,       ///< the disk is full: nothing was written; frees space, then reopen
};
const error_category& category_of(store_errc) noexcept;

} // namespace dynfeed
