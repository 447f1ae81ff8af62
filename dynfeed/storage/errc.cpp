#include "dynfeed/storage/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_store(uint8_t code) noexcept {
  switch (static_cast<store_errc>(code)) {
    case store_errc::io_error:
      return "storage I/O error";
    case store_errc::corrupt:
      return "store is corrupt";
    case store_errc::locked:
      return "store is in use by another process";
    case store_errc::not_found:
      return "no store there";
    case store_errc::already_exists:
      return "a store already exists there";
    case store_errc::version:
      return "store format version not supported";
    case store_errc::no_space:
      return "out of disk space";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(store_errc) noexcept {
  static const error_category cat{"store", describe_store};
  return cat;
}

} // namespace dynfeed
