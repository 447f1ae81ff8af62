// The DHT's item service for local components (the dht ID channel's transport): a watched item
// is reported when a newer one is put, a kept item outlives BEP 44's expiry because it is put
// again, and stop_item ends both; a feed service that stops sends it.

#include "dynfeed/discovery/dht.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "dynfeed/core/feed.hpp"
#include "dynfeed/feed/id_item.hpp"
#include "dynfeed/krpc/targets.hpp"
#include "dynfeed/replication/feed_service.hpp"
#include "dynfeed/storage/memory_store.hpp"
#include "support/dht_sim.hpp"
#include "support/values.hpp"

using namespace dynfeed;
using namespace dynfeed::test;
using namespace std::chrono_literals;

namespace {

const bytes news_salt = text("news");

bep44::mutable_item news(int64_t seq, std::string_view value) {
  return signed_item(key_number(1), seq, value, "news");
}

msg::watch_item watch(int64_t seq_held) {
  msg::dht_item_fields f;
  f.k = key_number(1).pk;
  f.salt = news_salt;
  f.seq = seq_held;
  return msg::watch_item{std::move(f), 10'000, 0};
}

msg::stop_item stop() {
  msg::dht_item_fields f;
  f.k = key_number(1).pk;
  f.salt = news_salt;
  return msg::stop_item{std::move(f)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(dht_items_for_local_components)

BOOST_AUTO_TEST_CASE(a_watcher_hears_each_newer_item_until_it_stops) {
  dht_network net{81};
  net.grow(40, dht_config{});
  local_stand_in writer{net, 3};
  local_stand_in reader{net, 30};
  writer.tell(msg::put_item{item_fields(news(1, "first"))});
  reader.tell(watch(0));
  BOOST_TEST(net.run_until([&] { return !reader.heard().item_seqs.empty(); }, 30s));
  BOOST_TEST(reader.heard().item_seqs == std::vector<int64_t>{1});
  BOOST_TEST(net.node(30).items_watched() == 1u);

  // A newer item reaches the watcher at its next poll; the same one is never reported twice.
  writer.tell(msg::put_item{item_fields(news(2, "second"))});
  net.rt.run_until(net.rt.now() + 40s);
  BOOST_TEST(reader.heard().item_seqs == (std::vector<int64_t>{1, 2}));

  reader.tell(stop());
  net.rt.run_until(net.rt.now() + 10ms);
  BOOST_TEST(net.node(30).items_watched() == 0u);
  writer.tell(msg::put_item{item_fields(news(3, "third"))});
  net.rt.run_until(net.rt.now() + 60s);
  BOOST_TEST(reader.heard().item_seqs == (std::vector<int64_t>{1, 2}));
  // The item was there to be found: a plain get sees it.
  auto got = net.get_value(20, key_number(1).pk, news_salt);
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(std::get<bep44::mutable_item>(*got.item).seq == 3);
}

BOOST_AUTO_TEST_CASE(a_kept_item_outlives_the_expiry_until_its_owner_stops_it) {
  dht_config config;
  // Shorter than the defaults (2 h expiry, put again every 10 min): one re-put in the expiry
  // is enough to keep it.
  config.storage.value_ttl = 20min;
  config.item_republish = 10min;
  for (bool stopped : {false, true}) {
    dht_network net{82};
    net.grow(30, config);
    local_stand_in writer{net, 4};
    writer.tell(msg::put_item{item_fields(news(1, "kept"))});
    net.rt.run_until(net.rt.now() + 30s);
    BOOST_TEST(net.node(4).items_kept() == 1u);
    if (stopped) {
      // Only the owner can stop it; another component's stop changes nothing.
      local_stand_in other{net, 4};
      other.tell(stop());
      net.rt.run_until(net.rt.now() + 10ms);
      BOOST_TEST(net.node(4).items_kept() == 1u);
      writer.tell(stop());
      net.rt.run_until(net.rt.now() + 10ms);
      BOOST_TEST(net.node(4).items_kept() == 0u);
    }
    net.rt.run_until(net.rt.now() + 50min);
    auto got = net.get_value(17, key_number(1).pk, news_salt);
    BOOST_TEST(got.item.has_value() == !stopped, (stopped ? "stopped" : "kept"));
  }
}

BOOST_AUTO_TEST_CASE(a_kept_item_is_stored_again_within_the_announce_interval_after_its_nodes_leave) {
  // Under churn the nodes a put reached leave, and nodes that join closer to the target never
  // get the item (Mainline hands nothing over): a get then finds nothing until the owner puts
  // it again. Re-put only hourly, readers that came back in the fragmentation study found no
  // ID (or a stale one) for up to an hour; peer records are announced again every 10 min.
  dht_config config; // the defaults
  dht_network net{84};
  net.grow(40, config);
  size_t owner = 3;
  local_stand_in writer{net, owner};
  writer.tell(msg::put_item{item_fields(news(1, "kept"))});
  net.rt.run_until(net.rt.now() + 30s);
  node_id target = krpc::mutable_target(key_number(1).pk, news_salt);
  std::vector<size_t> holders;
  for (size_t i = 0; i < net.nodes.size(); ++i)
    if (i != owner && net.node(i).storage().item(target, net.rt.now()))
      holders.push_back(i);
  BOOST_TEST_REQUIRE(holders.size() >= 4u);
  for (size_t i : holders)
    net.rt.crash(net.hosts[i]);
  auto getter = static_cast<size_t>(
    std::find(holders.begin(), holders.end(), 20) == holders.end() ? 20 : 21);
  BOOST_TEST(!net.get_value(getter, key_number(1).pk, news_salt).item.has_value());

  net.rt.run_until(net.rt.now() + config.announce_interval);
  auto got = net.get_value(getter, key_number(1).pk, news_salt);
  BOOST_TEST_REQUIRE(got.item.has_value());
  BOOST_TEST(std::get<bep44::mutable_item>(*got.item).seq == 1);
}

BOOST_AUTO_TEST_CASE(a_feed_service_that_stops_stops_watching_its_feeds_item) {
  dht_network net{83};
  net.grow(20, dht_config{});
  keypair writer = key_number(2);
  memory_store store;
  auto reader = feed::create_reader(store, writer.pk);
  BOOST_TEST_REQUIRE(reader.has_value());
  component_id service = net.rt.spawn(std::make_unique<feed_service>(**reader, feed_service_config{}),
                                      net.hosts.at(5));
  auto tell = [&](const msg::local_message& m) {
    net.rt.with(service, [&](component&, context& ctx) { ctx.send(service, msg::encode(m)); });
  };
  tell(msg::set_mode{static_cast<uint8_t>(feed_mode::rotating), 0, 0,
                     id_channels{static_cast<uint8_t>(id_channel::dht)}.wire()});
  tell(msg::use_dht{net.nodes.at(5), 10'000, 1'000});
  net.rt.run_until(net.rt.now() + 1s);
  BOOST_TEST(net.node(5).items_watched() == 1u);
  net.rt.stop(service);
  net.rt.run_until(net.rt.now() + 1s);
  BOOST_TEST(net.node(5).items_watched() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
