#include "dynfeed/discovery/errc.hpp"

namespace dynfeed {

namespace {

const char* describe_dht(uint8_t code) noexcept {
  switch (static_cast<dht_errc>(code)) {
    case dht_errc::storage_full:
      return "storage full";
    case dht_errc::bad_token:
      return "bad token";
    case dht_errc::no_nodes:
      return "no DHT nodes known";
    case dht_errc::busy:
      return "too many lookups at once";
  }
  return "unknown error";
}

} // namespace

const error_category& category_of(dht_errc) noexcept {
  static const error_category cat{"dht", describe_dht};
  return cat;
}

} // namespace dynfeed
