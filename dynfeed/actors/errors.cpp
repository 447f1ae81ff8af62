#include "dynfeed/errors.hpp"

#include "dynfeed/krpc/errc.hpp"

#include <caf/message.hpp>

#include <array>

namespace dynfeed {

namespace {

/// Every category, so that an error coming back as a caf::error can be described again.
const std::array<const error_category*, 10>& categories() {
  static const std::array<const error_category*, 10> all{
    &category_of(base_errc{}),  &category_of(crypto_errc{}), &category_of(noise_errc{}),
    &category_of(feed_errc{}),  &category_of(value_errc{}),  &category_of(store_errc{}),
    &category_of(msg::msg_errc{}), &category_of(channel_errc{}), &category_of(dht_errc{}),
    &category_of(krpc::krpc_errc{})};
  return all;
}

const error_category* find_category(caf::atom_value atom) {
  for (const error_category* cat : categories())
    if (caf::atom_from_string(cat->name) == atom)
      return cat;
  return nullptr;
}

template <class Enum>
caf::error from_enum(Enum code) {
  return caf::error{static_cast<uint8_t>(code), caf::atom_from_string(category_of(code).name)};
}

} // namespace

caf::error to_caf_error(const error& err) {
  return caf::error{err.code(), caf::atom_from_string(err.category()),
                    caf::make_message(err.to_string())};
}

std::vector<std::string_view> error_category_names() {
  std::vector<std::string_view> out;
  for (const error_category* cat : categories())
    out.emplace_back(cat->name);
  return out;
}

std::string describe(const caf::error& err) {
  const error_category* cat = err ? find_category(err.category()) : nullptr;
  if (cat == nullptr)
    return caf::to_string(err);
  // to_caf_error's context is the whole message already.
  if (err.context().match_elements<std::string>())
    return err.context().get_as<std::string>(0);
  std::string out{cat->name};
  out += ": ";
  out += cat->describe(err.code());
  return out;
}

void add_error_categories(caf::actor_system_config& cfg) {
  for (const error_category* cat : categories()) {
    cfg.add_error_category(caf::atom_from_string(cat->name),
                           [](uint8_t code, caf::atom_value atom, const caf::message& context) {
                             return describe(caf::error{code, atom, context});
                           });
  }
}

caf::error make_error(base_errc code) { return from_enum(code); }
caf::error make_error(channel_errc code) { return from_enum(code); }
caf::error make_error(crypto_errc code) { return from_enum(code); }
caf::error make_error(noise_errc code) { return from_enum(code); }
caf::error make_error(dht_errc code) { return from_enum(code); }
caf::error make_error(feed_errc code) { return from_enum(code); }
caf::error make_error(value_errc code) { return from_enum(code); }
caf::error make_error(store_errc code) { return from_enum(code); }

namespace msg {
caf::error make_error(msg_errc code) { return from_enum(code); }
} // namespace msg

} // namespace dynfeed
