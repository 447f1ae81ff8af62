// The DHT component: KRPC datagrams in and out, answering queries, timers and maintenance, and
// the find_peers service for local components. Lookups, announces and puts are in
// dht_lookup.cpp.

#include "dynfeed/discovery/dht.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/krpc/bep42.hpp"
#include "dynfeed/krpc/codec.hpp"
#include "dynfeed/krpc/targets.hpp"
#include "dynfeed/messages/codec.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

namespace {

/// Tokens are the first bytes of a keyed BLAKE2b-256: 16 bytes make guessing one hopeless and
/// keep responses small.
constexpr size_t token_size = 16;
/// Our transaction IDs: 4 random bytes (Mainline clients commonly use 2; more makes a forged
/// response from a spoofed address harder to land). Theirs are echoed whatever their size.
constexpr size_t transaction_size = 4;
constexpr unsigned timer_kind_shift = 56;
constexpr uint64_t timer_serial_mask = (uint64_t{1} << timer_kind_shift) - 1;

/// The operation a query counts under; none for a method we do not serve.
std::optional<discovery_op> op_of(const krpc::query& q) {
  switch (q.index()) {
    case 0:
      return discovery_op::ping;
    case 1:
      return discovery_op::find_node;
    case 2:
      return discovery_op::get_peers;
    case 3:
      return discovery_op::announce;
    case 4:
      return discovery_op::get_value;
    case 5:
      return discovery_op::put_value;
    default:
      return std::nullopt;
  }
}

/// Does a response make sense for a query of `op`? Every field is optional on the wire; what
/// cannot be right is a get answer with only part of a mutable item, or an item's fields in
/// the answer to another method.
bool well_formed(discovery_op op, const krpc::response& r) {
  bool item_fields = r.v || r.k || r.sig;
  if (op != discovery_op::get_value)
    return !item_fields;
  bool signed_fields = r.k || r.sig;
  if (signed_fields)
    return r.k && r.sig && r.seq && r.v;
  return true;
}

bool about_topic(discovery_op op) {
  return op == discovery_op::get_peers || op == discovery_op::announce;
}

krpc::error_reply refusal(int64_t code, std::string message) {
  constexpr size_t message_size_max = 200; // within any reader's text limit
  if (message.size() > message_size_max)
    message.resize(message_size_max);
  return krpc::error_reply{code, std::move(message)};
}

uint32_t load_u32be(const bytes& b) {
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

const dht_config& settings_of(const std::shared_ptr<const dht_config>& config) {
  DYNFEED_REQUIRE(config != nullptr);
  return *config;
}

} // namespace

dht::dht(dht_config config, datagram_socket& socket)
  : dht(std::make_shared<const dht_config>(std::move(config)), socket) {}

dht::dht(std::shared_ptr<const dht_config> config, datagram_socket& socket)
  : config_(std::move(config)), socket_(socket), store_(settings_of(config_).storage) {
  DYNFEED_REQUIRE(config_->k > 0 && config_->alpha > 0);
  DYNFEED_REQUIRE(config_->queries_per_s > 0 && config_->query_burst > 0);
  DYNFEED_REQUIRE(config_->query_timeout.count() > 0 && config_->token_rotation.count() > 0);
}

dht::~dht() = default;

const node_id& dht::id() const {
  DYNFEED_REQUIRE(table_.has_value());
  return table_->self();
}

const routing_table& dht::table() const {
  DYNFEED_REQUIRE(table_.has_value());
  return *table_;
}

node_id dht::random_id(context& ctx) const {
  node_id out;
  for (size_t i = 0; i < node_id::size(); i += 8) {
    uint64_t word = ctx.random().next();
    for (size_t j = 0; j < 8 && i + j < node_id::size(); ++j)
      out.bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  return out;
}

hash256 dht::random_secret(context& ctx) const {
  hash256 out;
  for (size_t i = 0; i < hash256::size(); i += 8)
    store_u64le(out.data() + i, ctx.random().next());
  return out;
}

timer_id dht::arm(context& ctx, timer_kind kind, clock_time delay, uint64_t serial) {
  DYNFEED_ASSERT(serial <= timer_serial_mask);
  uint64_t tag = uint64_t{static_cast<uint8_t>(kind)} << timer_kind_shift | serial;
  return ctx.start_timer(std::max(delay, clock_time{0}), tag);
}

void dht::on_start(context& ctx) {
  node_id self = config_->id;
  if (self == node_id{}) {
    // BEP 42: with the restriction on and our external address known, an ID others accept.
    self = random_id(ctx);
    if (config_->enforce_bep42 && config_->external_ip != 0) {
      auto r = static_cast<uint8_t>(ctx.random().next() & 0x07);
      self = krpc::bep42::make_id(config_->external_ip, r, self);
    }
  }
  routing_config rc;
  rc.k = config_->k;
  rc.replacements_max = config_->replacements_max;
  rc.failures_max = config_->failures_max;
  rc.questionable_after = config_->questionable_after;
  rc.nodes_per_ip_max = config_->nodes_per_ip_max;
  rc.enforce_bep42 = config_->enforce_bep42;
  table_.emplace(self, rc);
  secret_ = random_secret(ctx);
  previous_secret_ = random_secret(ctx);
  arm(ctx, timer_kind::token, config_->token_rotation);
  arm(ctx, timer_kind::expire, config_->expire_interval);
  arm(ctx, timer_kind::refresh, config_->refresh_check_interval);
  if (!config_->bootstrap.empty())
    send_bootstrap(ctx);
}

void dht::on_timer(context& ctx, uint64_t tag) {
  auto kind = static_cast<timer_kind>(tag >> timer_kind_shift);
  uint64_t serial = tag & timer_serial_mask;
  switch (kind) {
    case timer_kind::deadline:
      deadline_timer_ = 0;
      on_deadline(ctx);
      return;
    case timer_kind::token:
      rotate_token(ctx);
      arm(ctx, timer_kind::token, config_->token_rotation);
      return;
    case timer_kind::expire: {
      clock_time now = ctx.now();
      store_.expire(now);
      stats_.records_held = store_.records();
      rate_.erase_if([now](uint32_t, clock_time full_at) { return full_at <= now; }); // idle: full
      arm(ctx, timer_kind::expire, config_->expire_interval);
      return;
    }
    case timer_kind::refresh:
      refresh_buckets(ctx);
      for (const krpc::node_info& n : table_->take_questionable(ctx.now(), config_->pings_per_check_max)) {
        pending_query p;
        p.op = discovery_op::ping;
        p.why = purpose::evict_ping;
        if (!send_query(ctx, n.address, n.id, krpc::ping{}, p))
          table_->failed(n.id);
      }
      if (table_->empty() && !config_->bootstrap.empty() && !bootstrap_armed_)
        send_bootstrap(ctx);
      arm(ctx, timer_kind::refresh, config_->refresh_check_interval);
      return;
    case timer_kind::bootstrap:
      bootstrap_armed_ = false;
      if (table_->empty())
        send_bootstrap(ctx);
      return;
    case timer_kind::topic:
      if (auto it = wanted_serials_.find(serial); it != wanted_serials_.end())
        run_topic(ctx, it->second);
      return;
    case timer_kind::item_poll:
    case timer_kind::item_put:
      on_item_timer(ctx, kind, serial);
      return;
  }
}

// ---- datagrams ----------------------------------------------------------------------------------

void dht::count_topic(discovery_op op, const node_id& info_hash) {
  if (!about_topic(op))
    return;
  // by_topic is keyed by hash256 (discovery_stats): an info-hash takes its first 20 bytes.
  hash256 key;
  std::copy(info_hash.bytes.begin(), info_hash.bytes.end(), key.bytes.begin());
  auto it = stats_.by_topic.find(key);
  if (it != stats_.by_topic.end())
    ++it->second;
  else if (stats_.by_topic.size() < config_->stats_topics_max)
    stats_.by_topic.emplace(key, 1);
}

bool dht::send_query(context& ctx, const endpoint& to, std::optional<node_id> node,
                     krpc::query query, pending_query p) {
  if (pending_.size() >= config_->pending_queries_max)
    return false;
  uint32_t transaction = 0;
  do {
    transaction = static_cast<uint32_t>(ctx.random().next());
  } while (pending_.contains(transaction));
  krpc::message m;
  m.transaction = bytes{static_cast<uint8_t>(transaction >> 24), static_cast<uint8_t>(transaction >> 16),
                        static_cast<uint8_t>(transaction >> 8), static_cast<uint8_t>(transaction)};
  m.sender = id();
  m.content = std::move(query);
  m.version = config_->version;
  m.read_only = config_->read_only;
  bytes datagram = krpc::encode(m);
  DYNFEED_ASSERT(datagram.size() <= datagram_size_max);
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  ++stats_[p.op].queries_sent;
  count_topic(p.op, p.subject);
  socket_.send_to(to, std::move(datagram));
  p.to = to;
  p.node = node;
  pending_.try_emplace(transaction, std::move(p));
  deadlines_.emplace_back(ctx.now() + config_->query_timeout, transaction);
  arm_deadline(ctx);
  return true;
}

void dht::arm_deadline(context& ctx) {
  if (deadlines_.empty())
    return;
  clock_time at = deadlines_.front().first;
  if (deadline_timer_ != 0 && deadline_at_ <= at)
    return;
  if (deadline_timer_ != 0)
    ctx.cancel_timer(deadline_timer_);
  deadline_timer_ = arm(ctx, timer_kind::deadline, at - ctx.now());
  deadline_at_ = at;
}

void dht::on_deadline(context& ctx) {
  clock_time now = ctx.now();
  // Every query has the same timeout, so deadlines come in send order; answered queries
  // leave their entry behind, skipped here.
  while (!deadlines_.empty() && deadlines_.front().first <= now) {
    uint32_t transaction = deadlines_.front().second;
    deadlines_.pop_front();
    pending_query* waiting = pending_.find(transaction);
    if (!waiting)
      continue;
    pending_query p = std::move(*waiting);
    pending_.erase(transaction);
    ++stats_[p.op].timeouts;
    on_no_answer(ctx, p, true);
  }
  arm_deadline(ctx);
}

void dht::send_response(const endpoint& to, const bytes& transaction, krpc::body body,
                        std::optional<discovery_op> op, const node_id* topic) {
  bool refused = std::holds_alternative<krpc::error_reply>(body);
  krpc::message m;
  m.transaction = transaction;
  m.sender = id();
  m.content = std::move(body);
  m.ip = to; // BEP 42: tell the querier the address we see
  m.version = config_->version;
  bytes datagram = krpc::encode(m);
  DYNFEED_ASSERT(datagram.size() <= datagram_size_max);
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  if (op && refused)
    ++stats_[*op].errors_sent;
  else if (op)
    ++stats_[*op].responses_sent;
  if (op && topic)
    count_topic(*op, *topic);
  socket_.send_to(to, std::move(datagram));
}

void dht::on_datagram(context& ctx, const endpoint& from, byte_span datagram) {
  ++stats_.datagrams_received;
  stats_.bytes_received += datagram.size();
  if (!table_)
    return; // not started yet: nothing can be answered
  auto m = krpc::decode(datagram, config_->codec);
  if (!m) {
    ++stats_.refused.malformed;
    return;
  }
  if (krpc::is_query(*m))
    on_query(ctx, from, *m);
  else
    on_response(ctx, from, *m);
}

bool dht::rate_allows(const endpoint& from, clock_time now) {
  // A token bucket kept as the time at which it is full again (GCRA): each query adds one
  // interval, and a query that would push that time more than a burst ahead is dropped.
  clock_time interval = std::chrono::nanoseconds{std::chrono::seconds{1}} / config_->queries_per_s;
  clock_time* held = rate_.find(from.ip);
  if (!held) {
    // A source whose bucket is full again counts as one never seen: such entries go before
    // the table grows (not only every expire_interval), so that it holds the sources of the
    // last few seconds rather than of the last minute.
    if (rate_.size() >= config_->rate_sources_max || rate_.full())
      rate_.erase_if([now](uint32_t, clock_time full_at) { return full_at <= now; });
    if (rate_.size() >= config_->rate_sources_max)
      return false;
    held = rate_.try_emplace(from.ip, now).first;
  }
  clock_time full_at = std::max(*held, now) + interval;
  if (full_at - now > interval * config_->query_burst)
    return false;
  *held = full_at;
  return true;
}

void dht::note_node(context& ctx, const krpc::node_info& node) {
  auto result = table_->heard_from(node, ctx.now());
  if (!result.ping)
    return;
  pending_query p;
  p.op = discovery_op::ping;
  p.why = purpose::evict_ping;
  if (!send_query(ctx, result.ping->address, result.ping->id, krpc::ping{}, p))
    table_->failed(result.ping->id); // cannot ask now: the newcomer gets its chance
}

void dht::on_query(context& ctx, const endpoint& from, krpc::message& m) {
  auto& q = std::get<krpc::query>(m.content);
  std::optional<discovery_op> op = op_of(q);
  if (op)
    ++stats_[*op].queries_received;
  const node_id* topic = nullptr;
  if (auto* g = std::get_if<krpc::get_peers>(&q))
    topic = &g->info_hash;
  else if (auto* a = std::get_if<krpc::announce_peer>(&q))
    topic = &a->info_hash;
  if (topic)
    count_topic(*op, *topic);
  if (config_->read_only)
    return; // BEP 43: counted as received, never answered, nobody noted
  if (!rate_allows(from, ctx.now())) {
    ++stats_.refused.rate_limited;
    return;
  }
  if (m.sender == id() || from.ip == 0 || from.port == 0) {
    ++stats_.refused.malformed; // our own ID from elsewhere, or an address nobody can answer
    return;
  }
  // BEP 43: a read-only node answers no queries, so it has no place in anyone's table.
  if (!m.read_only)
    note_node(ctx, krpc::node_info{m.sender, from});
  if (!op) {
    ++stats_.refused.malformed;
    auto& unknown = std::get<krpc::unknown_query>(q);
    send_response(from, m.transaction,
                  refusal(krpc::code::method_unknown, "method unknown: " + unknown.method),
                  std::nullopt, nullptr);
    return;
  }
  krpc::body reply = answer(ctx, from, q);
  send_response(from, m.transaction, std::move(reply), op, topic);
}

krpc::body dht::answer(context& ctx, const endpoint& from, krpc::query& q) {
  return std::visit(
    [&](auto& query) -> krpc::body {
      using T = std::decay_t<decltype(query)>;
      if constexpr (std::is_same_v<T, krpc::ping>) {
        return krpc::response{};
      } else if constexpr (std::is_same_v<T, krpc::find_node>) {
        krpc::response r;
        table_->closest(query.target, config_->k, r.nodes);
        return r;
      } else if constexpr (std::is_same_v<T, krpc::get_peers>) {
        return answer_get_peers(ctx, from, query);
      } else if constexpr (std::is_same_v<T, krpc::announce_peer>) {
        return answer_announce(ctx, from, query);
      } else if constexpr (std::is_same_v<T, krpc::get>) {
        return answer_get(ctx, from, query);
      } else if constexpr (std::is_same_v<T, krpc::put>) {
        return answer_put(ctx, from, query);
      } else {
        DYNFEED_ASSERT(false); // unknown methods never get here
        return krpc::response{};
      }
    },
    q);
}

void dht::on_response(context& ctx, const endpoint& from, krpc::message& m) {
  bool is_error = std::holds_alternative<krpc::error_reply>(m.content);
  uint32_t transaction = m.transaction.size() == transaction_size ? load_u32be(m.transaction) : 0;
  pending_query* waiting = m.transaction.size() == transaction_size ? pending_.find(transaction) : nullptr;
  // Errors carry no sender ID; responses must come from the node we asked.
  if (!waiting || waiting->to != from || (!is_error && waiting->node && *waiting->node != m.sender)
      || (!is_error && m.sender == id())) {
    ++stats_.refused.unsolicited; // not ours, late, or from someone we did not ask
    return;
  }
  pending_query p = std::move(*waiting);
  pending_.erase(transaction);
  if (is_error)
    ++stats_[p.op].errors_received;
  else
    ++stats_[p.op].responses_received;
  count_topic(p.op, p.subject);
  if (!is_error && !well_formed(p.op, std::get<krpc::response>(m.content))) {
    ++stats_.refused.malformed; // an answer that makes no sense: no answer at all
    on_no_answer(ctx, p, false);
    return;
  }
  krpc::node_info responder{is_error ? p.node.value_or(node_id{}) : m.sender, from};
  if (!is_error && !m.read_only)
    note_node(ctx, responder);
  on_answer(ctx, p, responder, m.content);
}

// ---- answering ----------------------------------------------------------------------------------

bytes dht::make_token(const hash256& secret, uint32_t ip, const node_id& target) const {
  // Mainline ties tokens to the asker's IP (BEP 5); binding the target too means a token for
  // one info-hash cannot store under another.
  uint8_t message[4 + node_id::size()];
  for (int i = 0; i < 4; ++i)
    message[i] = static_cast<uint8_t>(ip >> (24 - 8 * i));
  std::copy(target.bytes.begin(), target.bytes.end(), message + 4);
  hash256 mac = crypto::blake2b_256_keyed(secret, byte_span{message, sizeof message});
  return bytes(mac.bytes.begin(), mac.bytes.begin() + token_size);
}

bytes dht::token_for(uint32_t ip, const node_id& target) const {
  return make_token(secret_, ip, target);
}

bool dht::token_valid(uint32_t ip, const node_id& target, const bytes& token) const {
  if (token.size() != token_size)
    return false;
  return token == make_token(secret_, ip, target)
         || token == make_token(previous_secret_, ip, target);
}

void dht::rotate_token(context& ctx) {
  previous_secret_ = secret_;
  secret_ = random_secret(ctx);
}

krpc::body dht::answer_get_peers(context& ctx, const endpoint& from, const krpc::get_peers& q) {
  krpc::response out;
  out.token = make_token(secret_, from.ip, q.info_hash);
  out.values = store_.peers(q.info_hash, config_->peers_per_response_max, ctx.now(), &ctx.random());
  table_->closest(q.info_hash, config_->k, out.nodes);
  return out;
}

krpc::body dht::answer_announce(context& ctx, const endpoint& from,
                                const krpc::announce_peer& q) {
  // BEP 5: with implied_port the source port is the one to record (a peer behind a NAT).
  uint16_t port = q.implied_port ? from.port : q.port;
  if (port == 0) {
    ++stats_.refused.malformed;
    return refusal(krpc::code::protocol, "port 0");
  }
  if (!token_valid(from.ip, q.info_hash, q.token)) {
    ++stats_.refused.bad_token;
    return refusal(krpc::code::protocol, error{dht_errc::bad_token}.to_string());
  }
  auto stored = store_.add_peer(q.info_hash, endpoint{from.ip, port}, ctx.now());
  if (!stored) {
    ++stats_.refused.storage_full;
    return refusal(krpc::code::server, stored.error().to_string());
  }
  stats_.records_held = store_.records();
  return krpc::response{};
}

krpc::body dht::answer_get(context& ctx, const endpoint& from, const krpc::get& q) {
  krpc::response out;
  out.token = make_token(secret_, from.ip, q.target);
  table_->closest(q.target, config_->k, out.nodes);
  std::optional<dht_item> held = store_.item(q.target, ctx.now());
  if (!held)
    return out;
  if (auto* m = std::get_if<bep44::mutable_item>(&*held)) {
    out.seq = m->seq;
    // BEP 44: an asker that has this seq already gets no v, k or sig.
    if (q.seq && m->seq <= *q.seq)
      return out;
    out.k = m->k;
    out.sig = m->sig;
    out.v = m->v;
  } else {
    out.v = std::get<immutable_item>(*held).v;
  }
  return out;
}

krpc::body dht::answer_put(context& ctx, const endpoint& from, krpc::put& q) {
  if (auto* m = std::get_if<krpc::mutable_put>(&q.item))
    return answer_mutable_put(ctx, from, *m, q.token);
  return answer_immutable_put(ctx, from, std::get<krpc::immutable_put>(q.item), q.token);
}

krpc::body dht::answer_mutable_put(context& ctx, const endpoint& from, krpc::mutable_put& q,
                                   const bytes& token) {
  bep44::mutable_item item{q.k, std::move(q.salt), q.seq, std::move(q.v), q.sig};
  // Cheapest first, as libtorrent does: sizes (205, 207), the token (203), then the item's
  // form and signature (bep44::verify: 203, 206), then seq order and CAS (dht_store: 301, 302).
  const value_limits& limits = config_->storage.values;
  if (item.v.size() > limits.value_size_max || item.salt.size() > limits.salt_size_max) {
    ++stats_.refused.bad_value;
    error err = item.v.size() > limits.value_size_max
                  ? error{value_errc::value_too_large, std::to_string(item.v.size()) + " bytes"}
                  : error{value_errc::salt_too_large, std::to_string(item.salt.size()) + " bytes"};
    return refusal(bep44_code(err), err.to_string());
  }
  node_id target = krpc::mutable_target(item.k, item.salt);
  if (!token_valid(from.ip, target, token)) {
    ++stats_.refused.bad_token;
    return refusal(krpc::code::protocol, error{dht_errc::bad_token}.to_string());
  }
  if (status st = bep44::verify(item, limits); !st) {
    ++stats_.refused.bad_value;
    return refusal(bep44_code(st.error()), st.error().to_string());
  }
  auto stored = store_.put_mutable(item, q.cas, from.ip, ctx.now());
  if (!stored) {
    if (stored.error().is(dht_errc::storage_full)) {
      ++stats_.refused.storage_full;
      return refusal(krpc::code::server, stored.error().to_string());
    }
    ++stats_.refused.bad_value;
    return refusal(bep44_code(stored.error()), stored.error().to_string());
  }
  stats_.records_held = store_.records();
  return krpc::response{};
}

krpc::body dht::answer_immutable_put(context& ctx, const endpoint& from, krpc::immutable_put& q,
                                     const bytes& token) {
  const value_limits& limits = config_->storage.values;
  if (q.v.size() > limits.value_size_max) {
    ++stats_.refused.bad_value;
    error err{value_errc::value_too_large, std::to_string(q.v.size()) + " bytes"};
    return refusal(bep44_code(err), err.to_string());
  }
  if (!token_valid(from.ip, krpc::immutable_target(q.v), token)) {
    ++stats_.refused.bad_token;
    return refusal(krpc::code::protocol, error{dht_errc::bad_token}.to_string());
  }
  if (status st = bep44::check_bencode(q.v); !st) {
    ++stats_.refused.bad_value;
    return refusal(bep44_code(st.error()), st.error().to_string());
  }
  auto stored = store_.put_immutable(q.v, from.ip, ctx.now());
  if (!stored) {
    ++stats_.refused.storage_full;
    return refusal(krpc::code::server, stored.error().to_string());
  }
  stats_.records_held = store_.records();
  return krpc::response{};
}

// ---- maintenance --------------------------------------------------------------------------------

void dht::bootstrap(context& ctx, const std::vector<endpoint>& nodes) {
  std::vector<endpoint> added;
  for (const endpoint& e : nodes)
    if (std::find(config_->bootstrap.begin(), config_->bootstrap.end(), e) == config_->bootstrap.end()
        && std::find(added.begin(), added.end(), e) == added.end())
      added.push_back(e);
  if (!added.empty()) {
    auto own = std::make_shared<dht_config>(*config_); // the settings may be shared
    own->bootstrap.insert(own->bootstrap.end(), added.begin(), added.end());
    config_ = std::move(own);
  }
  send_bootstrap(ctx);
}

void dht::send_bootstrap(context& ctx) {
  for (const endpoint& e : config_->bootstrap) {
    if (e == socket_.local())
      continue;
    pending_query p;
    p.op = discovery_op::find_node;
    p.why = purpose::bootstrap;
    p.subject = id();
    send_query(ctx, e, std::nullopt, krpc::find_node{id()}, p);
  }
  if (!bootstrap_armed_) {
    bootstrap_armed_ = true;
    arm(ctx, timer_kind::bootstrap, config_->bootstrap_retry);
  }
}

void dht::joined(context& ctx, const lookup& self_lookup) {
  joining_ = false;
  joined_ = true;
  // Topics whose round still had nobody to ask need not wait for their retry.
  run_topics_now(ctx, [](const wanted_topic& w) { return w.failed; });
  if (!config_->refresh_on_join)
    return;
  // Kademlia's join: fill every bucket farther than our closest neighbour. Bucket i holds IDs
  // sharing i bits with ours; the closest neighbour shares `deepest` bits.
  size_t deepest = 0;
  for (const candidate& c : self_lookup.candidates)
    if (c.state == asked::answered) {
      deepest = table_->bucket_of(c.node.id);
      break;
    }
  for (size_t i = 0; i < deepest && i < table_->bucket_count(); ++i) {
    if (table_->bucket(i).nodes.size() >= config_->k)
      continue;
    node_id target = id_in_bucket(id(), i, random_id(ctx));
    if (begin_lookup(ctx, discovery_op::find_node, target, nullptr, nullptr))
      break; // busy: the periodic refresh finishes the job
  }
}

void dht::refresh_buckets(context& ctx) {
  clock_time now = ctx.now();
  size_t deepest = 0;
  bool any = false;
  for (size_t i = 0; i < table_->bucket_count(); ++i)
    if (!table_->bucket(i).nodes.empty()) {
      deepest = i;
      any = true;
    }
  if (!any)
    return;
  size_t started = 0;
  for (size_t i = 0; i <= deepest && started < config_->refreshes_per_check_max; ++i) {
    if (now - table_->bucket(i).last_active < config_->bucket_refresh)
      continue;
    node_id target = id_in_bucket(id(), i, random_id(ctx));
    if (begin_lookup(ctx, discovery_op::find_node, target, nullptr, nullptr))
      return; // busy or empty
    ++started;
  }
}

// ---- discovery for local components -------------------------------------------------------------

void dht::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  if (!decoded) {
    ctx.log("dht: undecodable frame from component " + std::to_string(from) + ": "
            + decoded.error().to_string());
    return;
  }
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_peers>(local))
    want(ctx, from, find->topic, find->announce);
  else if (auto* stop = std::get_if<msg::stop_finding>(local))
    unwant(ctx, from, stop->topic);
  else
    on_item_message(ctx, from, *local);
}

bool dht::announcing(const wanted_topic& w) {
  return std::any_of(w.components.begin(), w.components.end(),
                     [](const auto& c) { return c.second; });
}

endpoint dht::own_record() const {
  return endpoint{socket_.local().ip, config_->announce_port};
}

void dht::set_announce_port(context& ctx, uint16_t port) {
  if (port != config_->announce_port) {
    auto own = std::make_shared<dht_config>(*config_); // the settings may be shared
    own->announce_port = port;
    config_ = std::move(own);
  }
  if (port == 0 || !table_)
    return;
  for (auto& [topic, w] : wanted_)
    if (announcing(w))
      w.next_announce = clock_time{0}; // the address is new: announce it now
  // A round under way sees the announce due when it ends and starts the next at once.
  run_topics_now(ctx, [](const wanted_topic& w) { return announcing(w); });
}

void dht::run_topics_now(context& ctx, const std::function<bool(const wanted_topic&)>& due) {
  std::vector<hash256> topics;
  for (const auto& [topic, w] : wanted_)
    if (!w.running && due(w))
      topics.push_back(topic);
  for (const hash256& topic : topics) {
    auto it = wanted_.find(topic);
    if (it == wanted_.end())
      continue;
    if (it->second.timer != 0)
      ctx.cancel_timer(it->second.timer);
    run_topic(ctx, topic);
  }
}

void dht::want(context& ctx, component_id who, const hash256& topic, bool announce) {
  auto [it, inserted] = wanted_.try_emplace(topic);
  wanted_topic& w = it->second;
  bool was_announcing = announcing(w);
  w.components[who] = announce;
  if (inserted) {
    w.serial = next_serial_++;
    wanted_serials_[w.serial] = topic;
    run_topic(ctx, topic);
    return;
  }
  if (!w.known.empty()) {
    std::vector<endpoint> known;
    known.reserve(w.known.size());
    for (const packed_endpoint& p : w.known)
      known.push_back(p.unpack());
    report(ctx, topic, known, who);
  }
  bool asked_again = !inserted && !w.running && ctx.now() - w.started >= config_->refresh_min;
  if ((announce && !was_announcing && !w.running) || asked_again) {
    if (w.timer != 0)
      ctx.cancel_timer(w.timer);
    run_topic(ctx, topic); // announce, or look again, now rather than at the next round
  }
}

void dht::unwant(context& ctx, component_id who, const hash256& topic) {
  auto it = wanted_.find(topic);
  if (it == wanted_.end())
    return;
  wanted_topic& w = it->second;
  w.components.erase(who);
  if (!w.components.empty())
    return;
  if (w.timer != 0)
    ctx.cancel_timer(w.timer);
  wanted_serials_.erase(w.serial);
  wanted_.erase(it); // a round under way finds it gone and stops there
}

void dht::run_topic(context& ctx, const hash256& topic) {
  wanted_topic& w = wanted_.at(topic);
  w.timer = 0;
  if (w.running)
    return;
  w.running = true;
  w.started = ctx.now();
  w.reported.clear();
  uint64_t serial = w.serial;
  bool announce_now = announcing(w) && config_->announce_port != 0 && ctx.now() >= w.next_announce;
  if (announce_now)
    w.next_announce = ctx.now() + config_->announce_interval;
  auto progress = [this, topic, serial](context& c, const std::vector<endpoint>& peers) {
    auto it = wanted_.find(topic);
    if (it == wanted_.end() || it->second.serial != serial)
      return;
    std::vector<endpoint> fresh;
    for (const endpoint& p : peers)
      if (it->second.reported.insert(p))
        fresh.push_back(p);
    report(c, topic, fresh);
  };
  auto finished = [this, topic, serial, announce_now](context& c, const error& err,
                                                     const std::vector<endpoint>& peers) {
    auto it = wanted_.find(topic);
    if (it == wanted_.end() || it->second.serial != serial)
      return;
    wanted_topic& wt = it->second;
    wt.running = false;
    // Only a round reads it, and rounds are minutes apart: its table (up to 16 KB) goes.
    wt.reported.release();
    wt.failed = static_cast<bool>(err);
    clock_time delay = config_->lookup_interval;
    if (err) {
      delay = std::min(delay, config_->bootstrap_retry); // nobody to ask yet: soon again
      if (announce_now)
        wt.next_announce = clock_time{0};
    } else {
      wt.known = std::vector<packed_endpoint>(peers.begin(), peers.end());
      endpoint own = own_record();
      if (std::any_of(peers.begin(), peers.end(), [&](const endpoint& p) { return p != own; })) {
        wt.empty_rounds = 0;
      } else {
        // Nobody yet: perhaps the writer has not announced. Soon again, then less often.
        constexpr uint32_t doublings_max = 16;
        uint32_t doublings = std::min(wt.empty_rounds, doublings_max);
        clock_time retry = config_->empty_lookup_retry * (int64_t{1} << doublings);
        delay = std::min(delay, retry);
        wt.empty_rounds = std::min(wt.empty_rounds + 1, doublings_max);
      }
    }
    bool announce_due = config_->announce_port != 0 && c.now() >= wt.next_announce && announcing(wt);
    if (announce_due && !err)
      delay = clock_time{0}; // an announce was asked for while this round ran
    wt.timer = arm(c, timer_kind::topic, delay, serial);
  };
  node_id info_hash = krpc::info_hash(topic);
  if (announce_now) {
    start_announce(ctx, info_hash, config_->announce_port,
                   [finished](context& c, const dht_store_result& r) { finished(c, r.err, r.lookup.peers); },
                   progress);
  } else {
    auto done = [this, finished](context& c, lookup& l) { finished(c, error{}, l.peers); };
    if (error err = begin_lookup(ctx, discovery_op::get_peers, info_hash, done, progress))
      finished(ctx, err, {});
  }
}

void dht::report(context& ctx, const hash256& topic, const std::vector<endpoint>& peers,
                 component_id only) {
  auto it = wanted_.find(topic);
  if (it == wanted_.end())
    return;
  endpoint own = own_record();
  std::vector<std::string> addresses;
  addresses.reserve(peers.size());
  for (const endpoint& p : peers)
    if (p != own)
      addresses.push_back(p.to_string());
  size_t chunk_max = msg::codec_limits{}.addresses_max;
  for (size_t first = 0; first < addresses.size(); first += chunk_max) {
    size_t last = std::min(addresses.size(), first + chunk_max);
    msg::peers_found found{topic, {addresses.begin() + static_cast<std::ptrdiff_t>(first),
                                   addresses.begin() + static_cast<std::ptrdiff_t>(last)}};
    bytes frame = msg::encode(msg::local_message{found});
    if (only != no_component) {
      ctx.send(only, std::move(frame));
      continue;
    }
    for (const auto& [who, announce] : it->second.components)
      ctx.send(who, frame);
  }
}

} // namespace dynfeed
