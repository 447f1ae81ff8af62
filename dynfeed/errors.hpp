#pragma once

/// dynfeed's errors as CAF errors. Every failure the node API reports is a caf::error whose
/// category is one of dynfeed's (the atom of its name: "base", "crypto", "noise", "feed",
/// "value", "store", "msg", "channel", "dht", "krpc"), whose code is the errc value and whose context
/// is the full message. Compare with an errc value (`err == feed_errc::not_writable`), and call
/// add_error_categories on the actor system's config so that caf::to_string and
/// actor_system::render print dynfeed's descriptions.

#include <dynfeed/base/error.hpp>
#include <dynfeed/channel/errc.hpp>
#include <dynfeed/crypto/errc.hpp>
#include <dynfeed/crypto/noise_errc.hpp>
#include <dynfeed/discovery/errc.hpp>
#include <dynfeed/feed/errc.hpp>
#include <dynfeed/feed/value_errc.hpp>
#include <dynfeed/messages/errc.hpp>
#include <dynfeed/storage/errc.hpp>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace dynfeed {

/// A dynfeed error as a CAF error: the category's name as the atom, the code, and
/// error::to_string() as the context.
caf::error to_caf_error(const error& err);

/// The names of every category, in the order above.
std::vector<std::string_view> error_category_names();

/// "category: description: context" for an error of a dynfeed category; caf::to_string(err)
/// for any other.
std::string describe(const caf::error& err);

/// Lets `sys.render(err)` and caf::to_string(err) print dynfeed's errors as
/// "category: description: context" instead of CAF's raw form.
void add_error_categories(caf::actor_system_config& cfg);

/// What CAF needs to build a caf::error from an errc value (found by argument-dependent
/// lookup): `caf::error err = store_errc::not_found;` and `err == store_errc::not_found`.
caf::error make_error(base_errc code);
caf::error make_error(channel_errc code);
caf::error make_error(crypto_errc code);
caf::error make_error(noise_errc code);
caf::error make_error(dht_errc code);
caf::error make_error(feed_errc code);
caf::error make_error(value_errc code);
caf::error make_error(store_errc code);

namespace msg {
caf::error make_error(msg_errc code);
} // namespace msg

} // namespace dynfeed
