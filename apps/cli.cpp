#include "apps/cli.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/control/errc.hpp"

#include <charconv>
#include <iostream>

namespace dynfeed::cli {

int report(const error& err) {
  return report(err.to_string());
}

error in_use(const error& err) {
  if (!err.is(control_errc::no_node))
    return err;
  return error{control_errc::no_node, "the store is in use and " + err.context()};
}

int report(const std::string& message, int code) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n')
      c = ' ';
  std::cerr << "dynfeed: " << line << '\n';
  return code;
}

std::optional<uint64_t> parse_u64(const std::string& text, const std::string& what,
                                  std::string& message) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    message = what + " must be a non-negative integer, got '" + text + "'";
    return std::nullopt;
  }
  return value;
}

expected<keypair> keypair_from_seed_option(const std::string& seed_hex) {
  if (seed_hex.empty())
    return crypto::generate_keypair();
  auto seed = fixed_from_hex<key_seed>(seed_hex);
  if (!seed)
    return error{base_errc::invalid_argument, "invalid --keypair-seed: " + seed.error().context()};
  return crypto::keypair_from_seed(*seed);
}

} // namespace dynfeed::cli
