#include "apps/dht_support.hpp"
#include "apps/node_support.hpp"

#include "dynfeed/actors/datagram_host.hpp"
#include "dynfeed/actors/process_config.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/discovery/dht.hpp"
#include "dynfeed/discovery/dht_settings.hpp"
#include "dynfeed/krpc/bencode.hpp"
#include "dynfeed/udp.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netdb.h>

#include <cstdio>
#include <future>
#include <iostream>
#include <memory>
#include <thread>

namespace dynfeed::cli {

namespace {

/// Resolves "host:port" to the IPv4 addresses of host.
std::vector<endpoint> resolve(const std::string& text) {
  auto colon = text.rfind(':');
  std::string host = text.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoi(text.substr(colon + 1)));
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  std::vector<endpoint> out;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0)
    return out;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next)
    out.push_back(endpoint{ntohl(reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr.s_addr), port});
  ::freeaddrinfo(found);
  return out;
}

/// A reply a task gives once; later calls are ignored (a lookup's callback runs once anyway,
/// but the waiting side must not depend on it).
template <class T>
using reply_fn = std::function<void(expected<T>)>;

/// Runs `fn` in the DHT hosted by `actor` and waits at most `timeout` for the reply it gives.
template <class T>
expected<T> in_dht(const caf::actor& actor, std::function<void(dht&, context&, reply_fn<T>)> fn,
                   dht_wait timeout) {
  auto promise = std::make_shared<std::promise<expected<T>>>();
  auto future = promise->get_future();
  auto once = [promise, given = std::make_shared<bool>(false)](expected<T> answer) {
    if (*given)
      return;
    *given = true;
    promise->set_value(std::move(answer));
  };
  datagram_task task = [fn, once](datagram_component& comp, context& ctx) {
    auto* d = dynamic_cast<dht*>(&comp);
    if (d == nullptr)
      return once(error{base_errc::unsupported, "the discovery component is not a DHT"});
    fn(*d, ctx, once);
  };
  caf::anon_send(actor, atoms::run::value, std::move(task));
  if (future.wait_for(timeout) != std::future_status::ready)
    return error{base_errc::io_error, "the DHT did not answer within "
                                        + std::to_string(timeout.count() / 1000) + " s"};
  return future.get();
}

} // namespace

expected<std::vector<endpoint>> parse_bootstrap(const std::vector<std::string>& texts) {
  std::vector<endpoint> out;
  for (const std::string& t : texts) {
    if (t == "public") {
      size_t before = out.size();
      for (const char* router : public_routers)
        for (const endpoint& e : resolve(router))
          out.push_back(e);
      if (out.size() == before)
        return error{base_errc::invalid_argument,
                     "--bootstrap public: none of the public routers' names resolves"};
      continue;
    }
    auto e = parse_ipv4_address(t, "--bootstrap");
    if (!e)
      return e.error();
    out.push_back(*e);
  }
  return out;
}

status wait_for_nodes(const caf::actor& actor, dht_wait timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto size = in_dht<size_t>(
      actor, [](dht& d, context&, reply_fn<size_t> reply) { reply(d.table().size()); }, timeout);
    if (!size)
      return size.error();
    if (*size > 0)
      return {};
    if (std::chrono::steady_clock::now() > deadline)
      return error{base_errc::io_error, "no DHT node answered within "
                                          + std::to_string(timeout.count() / 1000)
                                          + " s (are the --bootstrap nodes up?)"};
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
}

expected<dht_put_outcome> dht_put(const caf::actor& actor, const bep44::mutable_item& item,
                                  dht_wait timeout) {
  auto put = [item](dht& d, context& ctx, reply_fn<dht_put_outcome> reply) {
    d.put_value(ctx, item, std::nullopt, [reply](const dht_store_result& r) {
      if (r.err)
        return reply(r.err);
      reply(dht_put_outcome{r.stored, r.error_codes, r.timeouts});
    });
  };
  return in_dht<dht_put_outcome>(actor, put, timeout);
}

expected<std::optional<bep44::mutable_item>> dht_get(const caf::actor& actor, const public_key& k,
                                                     const bytes& salt, dht_wait timeout) {
  using found = std::optional<bep44::mutable_item>;
  auto get = [k, salt](dht& d, context& ctx, reply_fn<found> reply) {
    d.get_value(ctx, k, salt, [reply](const dht_lookup_result& r) {
      if (r.err)
        return reply(r.err);
      // The DHT verified it: the signature, and that it is the item of this key and salt.
      const auto* item = r.item ? std::get_if<bep44::mutable_item>(&*r.item) : nullptr;
      reply(item ? found{*item} : found{});
    });
  };
  return in_dht<found>(actor, get, timeout);
}

expected<nlohmann::json> dht_table(const caf::actor& actor, dht_wait timeout) {
  auto table = [](dht& d, context&, reply_fn<nlohmann::json> reply) {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& n : d.table().all())
      nodes.push_back({{"id", to_hex(n.id)}, {"address", n.address.to_string()}});
    reply(nlohmann::json{{"id", to_hex(d.id())}, {"address", d.local().to_string()},
                         {"nodes", std::move(nodes)}});
  };
  return in_dht<nlohmann::json>(actor, table, timeout);
}

struct own_dht::running {
  process_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<datagram_transport> transport = make_udp_transport();
  hosted_datagram hosted;
};

own_dht::own_dht(std::unique_ptr<running> r) : r_(std::move(r)) {}
own_dht::~own_dht() = default;

const caf::actor& own_dht::actor() const noexcept {
  return r_->hosted.actor;
}

expected<std::unique_ptr<own_dht>> own_dht::start(const std::vector<endpoint>& bootstrap,
                                                  bool log) {
  auto r = std::make_unique<running>();
  r->sys = std::make_unique<caf::actor_system>(r->cfg);
  uint64_t seed = 0;
  crypto::random_bytes(reinterpret_cast<uint8_t*>(&seed), sizeof seed);
  auto directory = std::make_shared<actor_directory>(seed);
  if (log)
    directory->set_log([](const std::string& line) { std::cerr << "dynfeed: " + line + "\n"; });
  dht_config config = dht_settings(endpoint{}, bootstrap);
  crypto::random_bytes(config.id.data(), config.id.size());
  auto make = [config](datagram_socket& s) { return std::make_unique<dht>(config, s); };
  auto hosted = spawn_datagram_component(*r->sys, directory, *r->transport, endpoint{}, make);
  if (!hosted)
    return hosted.error();
  r->hosted = *hosted;
  return std::unique_ptr<own_dht>(new own_dht(std::move(r)));
}

void own_dht::finish(int code) {
  {
    caf::scoped_actor self{*r_->sys};
    self->send_exit(r_->hosted.actor, caf::exit_reason::user_shutdown);
    self->wait_for(r_->hosted.actor);
  }
  std::cout.flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

shown_value show_bep44_value(byte_span v) {
  auto decoded = bencode::decode(v);
  if (decoded)
    if (const bencode::string* s = decoded->as_string())
      return {*s, false};
  return {v.to_bytes(), true};
}

bytes bencode_string(byte_span value) {
  return bencode::encode(bencode::value{value});
}

} // namespace dynfeed::cli
