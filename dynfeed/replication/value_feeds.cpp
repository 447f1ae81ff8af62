#include "dynfeed/replication/value_feeds.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/replication/node_core.hpp"

#include <algorithm>

namespace dynfeed {

expected<value_feed_entry> value_feeds::start(context& ctx, publisher_start start,
                                              bool replace_rules) {
  if (auto st = check_def(start.def, start.config.limits); !st)
    return std::move(st).error();
  DYNFEED_REQUIRE(host_ != nullptr);
  hash256 id = start.def.id();
  if (auto it = feeds_.find(id); it != feeds_.end()) {
    if (replace_rules)
      host_->set_publisher_rules(ctx, it->second.publisher, start);
    return it->second;
  }
  bool own = false;
  const auto& signers = start.def.signers;
  for (uint32_t i = 0; i < signers.size() && !start.signer; ++i)
    if (auto key = keys_.find(signers[i]); key != keys_.end()) {
      start.signer = value_signer{i, key->second.sk};
      start.store = key->second.store;
      own = true;
    }
  value_feed_entry entry{host_->start_publisher(ctx, start), start.def.topic(), own};
  feeds_[id] = entry;
  core_.serve(entry.topic, entry.publisher);
  if (own)
    announce_own(ctx);
  return entry;
}

expected<value_keys_opened> value_feeds::open_keys(context& ctx, const keypair& keys,
                                                   value_store& store) {
  if (keys_.count(keys.pk))
    return error{store_errc::already_exists,
                 "the value key " + to_hex(keys.pk).substr(0, 16) + " is open already"};
  auto ids = store.list_values();
  if (!ids)
    return std::move(ids).error();
  keys_[keys.pk] = key_record{keys.sk, &store};
  value_keys_opened out;
  for (const hash256& id : *ids) {
    auto record = store.load_value(id);
    if (!record) {
      out.unreadable.emplace_back(id, std::move(record).error());
      continue;
    }
    if (!*record)
      continue;
    const auto& signers = (*record)->def.signers;
    if (std::find(signers.begin(), signers.end(), keys.pk) == signers.end())
      continue; // another key's feed in a shared store
    publisher_start ps;
    ps.def = (*record)->def;
    if (auto started = start(ctx, std::move(ps), false); !started)
      out.unreadable.emplace_back(id, std::move(started).error());
    else
      out.served.push_back(id);
  }
  return out;
}

bool value_feeds::join(context& ctx, component_id publisher, std::vector<std::string> addresses) {
  for (const auto& [id, entry] : feeds_) {
    if (entry.publisher != publisher)
      continue;
    // A swarm that runs already (an announced feed's, an earlier join's) would keep its old
    // addresses: it starts again with these.
    core_.leave_swarm(ctx, entry.topic, publisher);
    core_.set_addresses(publisher, std::move(addresses));
    core_.join_swarm(ctx, entry.topic, publisher);
    return true;
  }
  return false;
}

void value_feeds::announce_own(context& ctx) {
  if (core_.discovery() == no_component)
    return;
  for (const auto& [id, entry] : feeds_)
    if (entry.own)
      core_.join_swarm(ctx, entry.topic, entry.publisher);
}

const value_feed_entry* value_feeds::find(const hash256& id) const {
  auto it = feeds_.find(id);
  return it == feeds_.end() ? nullptr : &it->second;
}

} // namespace dynfeed
