#include "dynfeed/base/error.hpp"

namespace dynfeed {

std::string error::to_string() const {
  if (!category_)
    return "no error";
  std::string out{category()};
  out += ": ";
  out += description();
  if (!context_.empty()) {
    out += ": ";
    out += context_;
  }
  return out;
}

namespace {

const char* describe_base(uint8_t code) noexcept {
  switch (static_cast<base_errc>(code)) {
    case base_errc::invalid_argument:
      return "invalid argument";
    case base_errc::io_error:
      return "I/O error";
    case base_errc::unsupported:
      return "unsupported";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(base_errc) noexcept {
  static const error_category cat{"base", describe_base};
  return cat;
}

} // namespace dynfeed
