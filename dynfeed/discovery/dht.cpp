// The DHT component: datagrams in and out, answering queries, timers and maintenance, and the
// find_peers service for local components. Lookups, announces and puts are in dht_lookup.cpp.

#include "dynfeed/discovery/dht.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/bep44.hpp"
#include "dynfeed/messages/codec.hpp"

#include <algorithm>
#include <string>

namespace dynfeed {

namespace {

/// Tokens are the first bytes of a keyed BLAKE2b-256: 16 bytes make guessing one hopeless and
/// keep responses small.
constexpr size_t token_size = 16;
constexpr unsigned timer_kind_shift = 56;
constexpr uint64_t timer_serial_mask = (uint64_t{1} << timer_kind_shift) - 1;

discovery_op op_of(const msg::dht_body& query) {
  switch (query.index()) {
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
    default:
      return discovery_op::put_value;
  }
}

/// Does a response of this kind answer a query of `op`? (An error answers anything.)
bool answers(discovery_op op, const msg::dht_body& body) {
  if (std::holds_alternative<msg::dht_error>(body))
    return true;
  switch (op) {
    case discovery_op::ping:
    case discovery_op::announce:
    case discovery_op::put_value:
      return std::holds_alternative<msg::dht_ack>(body);
    case discovery_op::find_node:
      return std::holds_alternative<msg::dht_nodes>(body);
    case discovery_op::get_peers:
      return std::holds_alternative<msg::dht_peers>(body);
    case discovery_op::get_value:
      return std::holds_alternative<msg::dht_value_response>(body);
    default:
      return false;
  }
}

bool about_topic(discovery_op op) {
  return op == discovery_op::get_peers || op == discovery_op::announce;
}

msg::dht_error refusal(uint16_t code, std::string message) {
  constexpr size_t message_size_max = 200; // within any reader's text limit
  if (message.size() > message_size_max)
    message.resize(message_size_max);
  return msg::dht_error{code, std::move(message)};
}

} // namespace

dht::dht(dht_config config, datagram_socket& socket)
  : config_(std::move(config)), socket_(socket), store_(config_.storage) {
  DYNFEED_REQUIRE(config_.k > 0 && config_.alpha > 0);
  DYNFEED_REQUIRE(config_.queries_per_s > 0 && config_.query_burst > 0);
  DYNFEED_REQUIRE(config_.query_timeout.count() > 0 && config_.token_rotation.count() > 0);
}

dht::~dht() = default;

const hash256& dht::id() const {
  DYNFEED_REQUIRE(table_.has_value());
  return table_->self();
}

const routing_table& dht::table() const {
  DYNFEED_REQUIRE(table_.has_value());
  return *table_;
}

hash256 dht::random_id(context& ctx) const {
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
  if (config_.id == hash256{})
    config_.id = random_id(ctx);
  routing_config rc;
  rc.k = config_.k;
  rc.replacements_max = config_.replacements_max;
  rc.failures_max = config_.failures_max;
  rc.questionable_after = config_.questionable_after;
  rc.nodes_per_ip_max = config_.nodes_per_ip_max;
  table_.emplace(config_.id, rc);
  secret_ = random_id(ctx);
  previous_secret_ = random_id(ctx);
  arm(ctx, timer_kind::token, config_.token_rotation);
  arm(ctx, timer_kind::expire, config_.expire_interval);
  arm(ctx, timer_kind::refresh, config_.refresh_check_interval);
  if (!config_.bootstrap.empty())
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
      arm(ctx, timer_kind::token, config_.token_rotation);
      return;
    case timer_kind::expire: {
      clock_time now = ctx.now();
      store_.expire(now);
      stats_.records_held = store_.records();
      for (auto it = rate_.begin(); it != rate_.end();)
        it = it->second <= now ? rate_.erase(it) : std::next(it); // idle: its bucket is full
      arm(ctx, timer_kind::expire, config_.expire_interval);
      return;
    }
    case timer_kind::refresh:
      refresh_buckets(ctx);
      for (const msg::dht_node& n : table_->take_questionable(ctx.now(), config_.pings_per_check_max)) {
        pending_query p;
        p.op = discovery_op::ping;
        p.why = purpose::evict_ping;
        if (!send_query(ctx, n.address, n.id, msg::dht_ping{}, p))
          table_->failed(n.id);
      }
      if (table_->empty() && !config_.bootstrap.empty() && !bootstrap_armed_)
        send_bootstrap(ctx);
      arm(ctx, timer_kind::refresh, config_.refresh_check_interval);
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
  }
}

// ---- datagrams ----------------------------------------------------------------------------------

void dht::count_topic(discovery_op op, const hash256& topic) {
  if (!about_topic(op))
    return;
  auto it = stats_.by_topic.find(topic);
  if (it != stats_.by_topic.end())
    ++it->second;
  else if (stats_.by_topic.size() < config_.stats_topics_max)
    stats_.by_topic.emplace(topic, 1);
}

bool dht::send_query(context& ctx, const endpoint& to, std::optional<hash256> node,
                     msg::dht_body body, pending_query p) {
  if (pending_.size() >= config_.pending_queries_max)
    return false;
  uint64_t transaction = 0;
  do {
    transaction = ctx.random().next();
  } while (transaction == 0 || pending_.count(transaction));
  bytes datagram = msg::encode_rpc(msg::dht_rpc{transaction, id(), std::move(body)});
  DYNFEED_ASSERT(datagram.size() <= datagram_size_max);
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  ++stats_[p.op].queries_sent;
  count_topic(p.op, p.subject);
  socket_.send_to(to, std::move(datagram));
  p.to = to;
  p.node = node;
  pending_.emplace(transaction, std::move(p));
  deadlines_.emplace_back(ctx.now() + config_.query_timeout, transaction);
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
    uint64_t transaction = deadlines_.front().second;
    deadlines_.pop_front();
    auto it = pending_.find(transaction);
    if (it == pending_.end())
      continue;
    pending_query p = std::move(it->second);
    pending_.erase(it);
    ++stats_[p.op].timeouts;
    on_no_answer(ctx, p, true);
  }
  arm_deadline(ctx);
}

void dht::send_response(const endpoint& to, uint64_t transaction, msg::dht_body body,
                        discovery_op op, const hash256* topic) {
  bool refused = std::holds_alternative<msg::dht_error>(body);
  bytes datagram = msg::encode_rpc(msg::dht_rpc{transaction, id(), std::move(body)});
  DYNFEED_ASSERT(datagram.size() <= datagram_size_max);
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  if (refused)
    ++stats_[op].errors_sent;
  else
    ++stats_[op].responses_sent;
  if (topic)
    count_topic(op, *topic);
  socket_.send_to(to, std::move(datagram));
}

void dht::on_datagram(context& ctx, const endpoint& from, byte_span datagram) {
  ++stats_.datagrams_received;
  stats_.bytes_received += datagram.size();
  if (!table_)
    return; // not started yet: nothing can be answered
  auto rpc = msg::decode_rpc(datagram, config_.codec);
  if (!rpc) {
    ++stats_.refused.malformed;
    return;
  }
  if (msg::is_query(rpc->body))
    on_query(ctx, from, *rpc);
  else
    on_response(ctx, from, *rpc);
}

bool dht::rate_allows(const endpoint& from, clock_time now) {
  // A token bucket kept as the time at which it is full again (GCRA): each query adds one
  // interval, and a query that would push that time more than a burst ahead is dropped.
  clock_time interval = std::chrono::nanoseconds{std::chrono::seconds{1}} / config_.queries_per_s;
  auto it = rate_.find(from.ip);
  if (it == rate_.end()) {
    if (rate_.size() >= config_.rate_sources_max) {
      for (auto r = rate_.begin(); r != rate_.end();)
        r = r->second <= now ? rate_.erase(r) : std::next(r);
      if (rate_.size() >= config_.rate_sources_max)
        return false;
    }
    it = rate_.emplace(from.ip, now).first;
  }
  clock_time full_at = std::max(it->second, now) + interval;
  if (full_at - now > interval * config_.query_burst)
    return false;
  it->second = full_at;
  return true;
}

void dht::note_node(context& ctx, const msg::dht_node& node) {
  auto result = table_->heard_from(node, ctx.now());
  if (!result.ping)
    return;
  pending_query p;
  p.op = discovery_op::ping;
  p.why = purpose::evict_ping;
  if (!send_query(ctx, result.ping->address, result.ping->id, msg::dht_ping{}, p))
    table_->failed(result.ping->id); // cannot ask now: the newcomer gets its chance
}

void dht::on_query(context& ctx, const endpoint& from, msg::dht_rpc& rpc) {
  discovery_op op = op_of(rpc.body);
  ++stats_[op].queries_received;
  const hash256* topic = nullptr;
  if (auto* q = std::get_if<msg::dht_get_peers>(&rpc.body))
    topic = &q->topic;
  else if (auto* a = std::get_if<msg::dht_announce>(&rpc.body))
    topic = &a->topic;
  if (topic)
    count_topic(op, *topic);
  if (!rate_allows(from, ctx.now())) {
    ++stats_.refused.rate_limited;
    return;
  }
  if (rpc.sender == id() || from.ip == 0 || from.port == 0) {
    ++stats_.refused.malformed; // our own ID from elsewhere, or an address nobody can answer
    return;
  }
  note_node(ctx, msg::dht_node{rpc.sender, from});
  msg::dht_body answer = std::visit(
    [&](auto& q) -> msg::dht_body {
      using T = std::decay_t<decltype(q)>;
      if constexpr (std::is_same_v<T, msg::dht_ping>) {
        return msg::dht_ack{};
      } else if constexpr (std::is_same_v<T, msg::dht_find_node>) {
        size_t count = std::min<size_t>(config_.k, config_.codec.nodes_max);
        return msg::dht_nodes{table_->closest(q.target, count)};
      } else if constexpr (std::is_same_v<T, msg::dht_get_peers>) {
        return answer_get_peers(ctx, from, q);
      } else if constexpr (std::is_same_v<T, msg::dht_announce>) {
        return answer_announce(ctx, from, q);
      } else if constexpr (std::is_same_v<T, msg::dht_get_value>) {
        return answer_get_value(ctx, from, q);
      } else if constexpr (std::is_same_v<T, msg::dht_put_value>) {
        return answer_put_value(ctx, from, q);
      } else {
        DYNFEED_ASSERT(false); // responses never get here
        return msg::dht_ack{};
      }
    },
    rpc.body);
  send_response(from, rpc.transaction, std::move(answer), op, topic);
}

void dht::on_response(context& ctx, const endpoint& from, msg::dht_rpc& rpc) {
  auto it = pending_.find(rpc.transaction);
  if (it == pending_.end() || it->second.to != from
      || (it->second.node && *it->second.node != rpc.sender) || rpc.sender == id()) {
    ++stats_.refused.unsolicited; // not ours, late, or from someone we did not ask
    return;
  }
  pending_query p = std::move(it->second);
  pending_.erase(it);
  if (std::holds_alternative<msg::dht_error>(rpc.body))
    ++stats_[p.op].errors_received;
  else
    ++stats_[p.op].responses_received;
  count_topic(p.op, p.subject);
  if (!answers(p.op, rpc.body)) {
    ++stats_.refused.malformed; // a response of the wrong kind: no answer at all
    on_no_answer(ctx, p, false);
    return;
  }
  msg::dht_node responder{rpc.sender, from};
  note_node(ctx, responder);
  on_answer(ctx, p, responder, rpc.body);
}

// ---- answering ----------------------------------------------------------------------------------

bytes dht::make_token(const hash256& secret, uint32_t ip, const hash256& target) const {
  uint8_t message[4 + hash256::size()];
  for (int i = 0; i < 4; ++i)
    message[i] = static_cast<uint8_t>(ip >> (24 - 8 * i));
  std::copy(target.bytes.begin(), target.bytes.end(), message + 4);
  hash256 mac = crypto::blake2b_256_keyed(secret, byte_span{message, sizeof message});
  return bytes(mac.bytes.begin(), mac.bytes.begin() + token_size);
}

bytes dht::token_for(uint32_t ip, const hash256& target) const {
  return make_token(secret_, ip, target);
}

bool dht::token_valid(uint32_t ip, const hash256& target, const bytes& token) const {
  if (token.size() != token_size)
    return false;
  return token == make_token(secret_, ip, target)
         || token == make_token(previous_secret_, ip, target);
}

void dht::rotate_token(context& ctx) {
  previous_secret_ = secret_;
  secret_ = random_id(ctx);
}

msg::dht_body dht::answer_get_peers(context& ctx, const endpoint& from,
                                    const msg::dht_get_peers& q) {
  msg::dht_peers out;
  out.token = make_token(secret_, from.ip, q.topic);
  size_t peers_max = std::min<size_t>(config_.peers_per_response_max, config_.codec.peers_max);
  out.peers = store_.peers(q.topic, peers_max, ctx.now(), &ctx.random());
  out.nodes = table_->closest(q.topic, std::min<size_t>(config_.k, config_.codec.nodes_max));
  return out;
}

msg::dht_body dht::answer_announce(context& ctx, const endpoint& from,
                                   const msg::dht_announce& q) {
  if (q.port == 0) {
    ++stats_.refused.malformed;
    return refusal(msg::dht_code::protocol, "port 0");
  }
  if (!token_valid(from.ip, q.topic, q.token)) {
    ++stats_.refused.bad_token;
    return refusal(msg::dht_code::protocol, error{dht_errc::bad_token}.to_string());
  }
  auto stored = store_.add_peer(q.topic, endpoint{from.ip, q.port}, ctx.now());
  if (!stored) {
    ++stats_.refused.storage_full;
    return refusal(msg::dht_code::server, stored.error().to_string());
  }
  stats_.records_held = store_.records();
  return msg::dht_ack{};
}

msg::dht_body dht::answer_get_value(context& ctx, const endpoint& from,
                                    const msg::dht_get_value& q) {
  msg::dht_value_response out;
  out.token = make_token(secret_, from.ip, q.target);
  out.nodes = table_->closest(q.target, std::min<size_t>(config_.k, config_.codec.nodes_max));
  out.item = store_.value(q.target, ctx.now());
  if (out.item) {
    // Values that passed the rules fit a datagram with room to spare; a configuration with
    // larger limits could break that, and then the nodes go without the value.
    msg::dht_rpc probe{0, id(), out};
    if (msg::encoded_rpc_size(probe) > datagram_size_max)
      out.item.reset();
  }
  return out;
}

msg::dht_body dht::answer_put_value(context& ctx, const endpoint& from,
                                    const msg::dht_put_value& q) {
  // Cheapest first: the value's form (sizes, salt, definition), then the token, then the
  // rules with the signatures (dht_store::put_value).
  if (auto form = check_value_form(q.item.def, q.item.value, config_.storage.values); !form) {
    ++stats_.refused.bad_value;
    return refusal(static_cast<uint16_t>(bep44_code(form.error())), form.error().to_string());
  }
  if (!token_valid(from.ip, q.item.def.id(), q.token)) {
    ++stats_.refused.bad_token;
    return refusal(msg::dht_code::protocol, error{dht_errc::bad_token}.to_string());
  }
  auto stored = store_.put_value(q.item, q.cas, from.ip, ctx.now());
  if (!stored) {
    if (stored.error().is(dht_errc::storage_full)) {
      ++stats_.refused.storage_full;
      return refusal(msg::dht_code::server, stored.error().to_string());
    }
    ++stats_.refused.bad_value;
    return refusal(static_cast<uint16_t>(bep44_code(stored.error())), stored.error().to_string());
  }
  stats_.records_held = store_.records();
  return msg::dht_ack{};
}

// ---- maintenance --------------------------------------------------------------------------------

void dht::bootstrap(context& ctx, const std::vector<endpoint>& nodes) {
  for (const endpoint& e : nodes)
    if (std::find(config_.bootstrap.begin(), config_.bootstrap.end(), e) == config_.bootstrap.end())
      config_.bootstrap.push_back(e);
  send_bootstrap(ctx);
}

void dht::send_bootstrap(context& ctx) {
  for (const endpoint& e : config_.bootstrap) {
    if (e == socket_.local())
      continue;
    pending_query p;
    p.op = discovery_op::find_node;
    p.why = purpose::bootstrap;
    p.subject = id();
    send_query(ctx, e, std::nullopt, msg::dht_find_node{id()}, p);
  }
  if (!bootstrap_armed_) {
    bootstrap_armed_ = true;
    arm(ctx, timer_kind::bootstrap, config_.bootstrap_retry);
  }
}

void dht::joined(context& ctx, const lookup& self_lookup) {
  joining_ = false;
  joined_ = true;
  // Topics whose round still had nobody to ask need not wait for their retry.
  run_topics_now(ctx, [](const wanted_topic& w) { return w.failed; });
  if (!config_.refresh_on_join)
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
    if (table_->bucket(i).nodes.size() >= config_.k)
      continue;
    hash256 target = id_in_bucket(id(), i, random_id(ctx));
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
  for (size_t i = 0; i <= deepest && started < config_.refreshes_per_check_max; ++i) {
    if (now - table_->bucket(i).last_active < config_.bucket_refresh)
      continue;
    hash256 target = id_in_bucket(id(), i, random_id(ctx));
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
}

bool dht::announcing(const wanted_topic& w) {
  return std::any_of(w.components.begin(), w.components.end(),
                     [](const auto& c) { return c.second; });
}

endpoint dht::own_record() const {
  return endpoint{socket_.local().ip, config_.announce_port};
}

void dht::set_announce_port(context& ctx, uint16_t port) {
  config_.announce_port = port;
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
  if (!w.known.empty())
    report(ctx, topic, w.known, who);
  bool asked_again = !inserted && !w.running && ctx.now() - w.started >= config_.refresh_min;
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
  bool announce_now = announcing(w) && config_.announce_port != 0 && ctx.now() >= w.next_announce;
  if (announce_now)
    w.next_announce = ctx.now() + config_.announce_interval;
  auto progress = [this, topic, serial](context& c, const std::vector<endpoint>& peers) {
    auto it = wanted_.find(topic);
    if (it == wanted_.end() || it->second.serial != serial)
      return;
    std::vector<endpoint> fresh;
    for (const endpoint& p : peers)
      if (it->second.reported.insert(p).second)
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
    wt.failed = static_cast<bool>(err);
    clock_time delay = config_.lookup_interval;
    if (err) {
      delay = std::min(delay, config_.bootstrap_retry); // nobody to ask yet: soon again
      if (announce_now)
        wt.next_announce = clock_time{0};
    } else {
      wt.known = peers;
      endpoint own = own_record();
      if (std::any_of(peers.begin(), peers.end(), [&](const endpoint& p) { return p != own; })) {
        wt.empty_rounds = 0;
      } else {
        // Nobody yet: perhaps the writer has not announced. Soon again, then less often.
        constexpr uint32_t doublings_max = 16;
        uint32_t doublings = std::min(wt.empty_rounds, doublings_max);
        clock_time retry = config_.empty_lookup_retry * (int64_t{1} << doublings);
        delay = std::min(delay, retry);
        wt.empty_rounds = std::min(wt.empty_rounds + 1, doublings_max);
      }
    }
    bool announce_due = config_.announce_port != 0 && c.now() >= wt.next_announce && announcing(wt);
    if (announce_due && !err)
      delay = clock_time{0}; // an announce was asked for while this round ran
    wt.timer = arm(c, timer_kind::topic, delay, serial);
  };
  if (announce_now) {
    start_announce(ctx, topic, config_.announce_port,
                   [finished](context& c, const dht_store_result& r) { finished(c, r.err, r.lookup.peers); },
                   progress);
  } else {
    auto done = [this, finished](context& c, lookup& l) { finished(c, error{}, l.peers); };
    if (error err = begin_lookup(ctx, discovery_op::get_peers, topic, done, progress))
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
