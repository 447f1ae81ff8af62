#include "dynfeed/discovery/tracker.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/messages/codec.hpp"

#include <algorithm>
#include <set>

namespace dynfeed {

namespace tracker = msg::tracker;

namespace {

constexpr uint64_t rotate_tag = 1;
constexpr uint64_t sweep_tag = 2;

std::string short_hex(const hash256& topic) {
  return to_hex(topic).substr(0, 16);
}

/// Compares in time independent of where the bytes differ, so that replies cannot be timed to
/// guess a token byte by byte.
bool same_bytes(byte_span a, byte_span b) noexcept {
  if (a.size() != b.size())
    return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

void count_in(std::unordered_map<hash256, uint64_t>& by_topic, size_t topics_max,
              const hash256& topic) {
  if (auto it = by_topic.find(topic); it != by_topic.end())
    ++it->second;
  else if (by_topic.size() < topics_max)
    by_topic.emplace(topic, 1);
}

} // namespace

// ---- the server ---------------------------------------------------------------------------

tracker_server::tracker_server(datagram_socket& socket, tracker_server_config config)
  : socket_(socket), config_(std::move(config)) {
  DYNFEED_REQUIRE(config_.requests_per_s >= 1 && config_.burst >= 1);
  DYNFEED_REQUIRE(config_.record_ttl.count() > 0 && config_.sweep_interval.count() > 0
                  && config_.token_rotation.count() > 0);
  DYNFEED_REQUIRE(config_.token_size >= 8 && config_.token_size <= hash256::size()
                  && config_.token_size <= config_.limits.token_size_max);
  DYNFEED_REQUIRE(config_.lookup_peers_max <= config_.limits.peers_max);
  DYNFEED_REQUIRE(config_.rate_sources_max >= 1);
  DYNFEED_REQUIRE(config_.records_max <= UINT32_MAX); // a record's slot is 32 bits
  // The largest reply must fit in one datagram.
  tracker::lookup_reply largest{std::vector<endpoint>(config_.lookup_peers_max),
                                bytes(config_.token_size), 0};
  DYNFEED_REQUIRE(tracker::encoded_size({~uint64_t{0}, largest}) <= datagram_size_max);
  rate_interval_ = clock_time{std::chrono::seconds{1}} / config_.requests_per_s;
}

void tracker_server::on_start(context& ctx) {
  rotate(ctx);
  rotate(ctx);
  ctx.start_timer(config_.token_rotation, rotate_tag);
  ctx.start_timer(config_.sweep_interval, sweep_tag);
}

void tracker_server::on_timer(context& ctx, uint64_t tag) {
  if (tag == rotate_tag) {
    rotate(ctx);
    ctx.start_timer(config_.token_rotation, rotate_tag);
  } else if (tag == sweep_tag) {
    sweep(ctx.now());
    ctx.start_timer(config_.sweep_interval, sweep_tag);
  }
}

void tracker_server::on_datagram(context& ctx, const endpoint& from, byte_span datagram) {
  ++stats_.datagrams_received;
  stats_.bytes_received += datagram.size();
  // Cheapest first: the bucket lookup, then decoding, then the request's own checks.
  if (!admit(ctx.now(), from.ip)) {
    ++stats_.refused.rate_limited;
    return;
  }
  auto p = tracker::decode(datagram, config_.limits);
  if (!p) {
    ++stats_.refused.malformed;
    return;
  }
  if (auto* m = std::get_if<tracker::lookup>(&p->what))
    on_lookup(ctx, from, p->transaction, *m);
  else if (auto* a = std::get_if<tracker::announce>(&p->what))
    on_announce(ctx, from, p->transaction, *a);
  else
    ++stats_.refused.unsolicited; // a reply or an error: a server asks nothing
}

bool tracker_server::admit(clock_time now, uint32_t ip) {
  auto it = buckets_.find(ip);
  if (it == buckets_.end()) {
    if (buckets_.size() >= config_.rate_sources_max) {
      buckets_.erase(recent_sources_.back());
      recent_sources_.pop_back();
    }
    recent_sources_.push_front(ip);
    it = buckets_.emplace(ip, bucket{now, recent_sources_.begin()}).first;
  } else {
    recent_sources_.splice(recent_sources_.begin(), recent_sources_, it->second.recent);
  }
  // GCRA: a request is admitted unless it would come more than burst - 1 intervals before the
  // bucket's schedule; each admitted one moves the schedule one interval on.
  bucket& b = it->second;
  clock_time start = std::max(b.next_free, now);
  if (start - now > rate_interval_ * (config_.burst - 1))
    return false;
  b.next_free = start + rate_interval_;
  return true;
}

void tracker_server::on_lookup(context& ctx, const endpoint& from, uint64_t transaction,
                               const tracker::lookup& m) {
  op_counters& op = stats_[discovery_op::tracker_lookup];
  ++op.queries_received;
  count_topic(m.topic);
  tracker::lookup_reply reply;
  reply.token = token_for(from.ip, secret_);
  reply.observed_ip = from.ip;
  if (auto it = topics_.find(m.topic); it != topics_.end())
    reply.peers = sample(ctx, it->second, endpoint{from.ip, m.port});
  send(from, {transaction, std::move(reply)});
  ++op.responses_sent;
  count_topic(m.topic);
}

void tracker_server::on_announce(context& ctx, const endpoint& from, uint64_t transaction,
                                 const tracker::announce& m) {
  op_counters& op = stats_[discovery_op::tracker_announce];
  ++op.queries_received;
  count_topic(m.topic);
  if (m.port == 0) {
    ++stats_.refused.malformed;
    refuse(ctx, from, transaction, m.topic, tracker::error_code::invalid_request, "port 0");
    return;
  }
  if (m.token.empty()) {
    ++stats_.refused.bad_token;
    refuse(ctx, from, transaction, m.topic, tracker::error_code::bad_token, "no token");
    return;
  }
  if (!token_valid(from.ip, m.token)) {
    ++stats_.refused.bad_token;
    refuse(ctx, from, transaction, m.topic, tracker::error_code::bad_token,
           "not a token this tracker gave " + ipv4_to_string(from.ip) + " lately");
    return;
  }
  // The record holds the address the announce came from: nobody announces another's.
  if (auto why = store(ctx.now(), m.topic, endpoint{from.ip, m.port})) {
    ++stats_.refused.storage_full;
    refuse(ctx, from, transaction, m.topic, tracker::error_code::storage_full, std::move(*why));
    return;
  }
  send(from, {transaction, tracker::announce_reply{}});
  ++op.responses_sent;
  count_topic(m.topic);
}

std::vector<endpoint> tracker_server::sample(context& ctx, topic_state& t, const endpoint& own) {
  const clock_time now = ctx.now();
  const size_t wanted_max = config_.lookup_peers_max;
  // Records never have port 0, so an asker that announced nothing (port 0) excludes nothing.
  auto wanted = [&](const record_map::value_type& r) {
    return r.second.expires > now && r.first != own;
  };
  std::vector<endpoint> out;
  if (t.records.size() <= wanted_max) {
    // The whole topic fits in the reply: every wanted record, shuffled. In address order an
    // asker keeping the first few (a swarm keeps peers_known_max) would dial the same nodes as
    // every other asker, whose inbound slots fill while the rest stay unknown (campaign seed
    // 244: a reader redialed the 8 lowest, all full, for 190 s).
    for (const auto& r : t.records)
      if (wanted(r))
        out.push_back(r.first);
    for (size_t i = out.size(); i > 1; --i)
      std::swap(out[i - 1], out[ctx.random().below(i)]);
    return out;
  }
  // Fisher-Yates over the slots, stopped once the sample is full: step i draws uniformly among
  // the slots not drawn yet, so the wanted records drawn are a uniform sample of the wanted
  // ones, in random order, in O(sample + records skipped). Expired records (until the sweep)
  // and the asker's own are drawn and skipped. The slots are left shuffled, which nothing
  // depends on.
  const size_t n = t.slots.size();
  for (size_t i = 0; i < n && out.size() < wanted_max; ++i) {
    const size_t j = i + ctx.random().below(n - i);
    std::swap(t.slots[i], t.slots[j]);
    t.slots[i]->second.slot = static_cast<uint32_t>(i);
    t.slots[j]->second.slot = static_cast<uint32_t>(j);
    if (wanted(*t.slots[i]))
      out.push_back(t.slots[i]->first);
  }
  return out;
}

std::optional<std::string> tracker_server::store(clock_time now, const hash256& topic,
                                                 const endpoint& peer) {
  const clock_time expires = now + config_.record_ttl;
  auto it = topics_.find(topic);
  if (it != topics_.end())
    if (auto r = it->second.records.find(peer); r != it->second.records.end()) {
      refresh(topic, r, expires); // a refresh takes no room
      return std::nullopt;
    }
  auto own = source_records_.find(peer.ip);
  bool at_quota = own != source_records_.end() && own->second.size() >= config_.records_per_source_max;
  // Every refusal comes before anything changes. A topic has no limit of its own: what one
  // source can put in it is bounded by its quota, and all sources together by records_max.
  if (it == topics_.end() && topics_.size() >= config_.topics_max)
    return "the tracker holds its maximum of " + std::to_string(config_.topics_max) + " topics";
  if (!at_quota && record_count_ >= config_.records_max)
    return "the tracker holds its maximum of " + std::to_string(config_.records_max) + " records";
  // At its quota, the source's record that expires first makes room: one source only ever
  // churns through its own records.
  if (at_quota)
    erase_oldest_of(peer.ip);
  if (it == topics_.end())
    it = topics_.emplace(topic, topic_state{}).first;
  insert(topic, it->second, peer, expires);
  return std::nullopt;
}

void tracker_server::insert(const hash256& topic, topic_state& t, const endpoint& peer,
                            clock_time expires) {
  auto [it, added] = t.records.emplace(peer, record{expires, static_cast<uint32_t>(t.slots.size())});
  DYNFEED_ASSERT(added);
  t.slots.push_back(it);
  source_records_[peer.ip].emplace(expires, topic, peer.port);
  stats_.records_held = ++record_count_;
}

void tracker_server::erase(const hash256& topic, topic_state& t, record_map::iterator it) {
  const endpoint peer = it->first;
  auto own = source_records_.find(peer.ip);
  own->second.erase(source_record{it->second.expires, topic, peer.port});
  if (own->second.empty())
    source_records_.erase(own);
  // The last slot takes the erased record's place.
  const uint32_t slot = it->second.slot;
  t.slots[slot] = t.slots.back();
  t.slots[slot]->second.slot = slot;
  t.slots.pop_back();
  // A topic left with a quarter of its room gives the rest back: a topic a flood once filled
  // must not keep that memory while it lives on with a few records.
  if (t.slots.size() * 4 < t.slots.capacity())
    t.slots.shrink_to_fit();
  t.records.erase(it);
  stats_.records_held = --record_count_;
}

void tracker_server::refresh(const hash256& topic, record_map::iterator it, clock_time expires) {
  std::set<source_record>& own = source_records_.at(it->first.ip);
  own.erase(source_record{it->second.expires, topic, it->first.port});
  own.emplace(expires, topic, it->first.port);
  it->second.expires = expires;
}

void tracker_server::erase_oldest_of(uint32_t ip) {
  const auto [expires, topic, port] = *source_records_.at(ip).begin();
  topic_state& t = topics_.at(topic);
  erase(topic, t, t.records.find(endpoint{ip, port}));
}

void tracker_server::purge(const hash256& topic, topic_state& t, clock_time now) {
  for (auto it = t.records.begin(); it != t.records.end();) {
    auto next = std::next(it);
    if (it->second.expires <= now)
      erase(topic, t, it);
    it = next;
  }
}

void tracker_server::sweep(clock_time now) {
  for (auto it = topics_.begin(); it != topics_.end();) {
    purge(it->first, it->second, now);
    it = it->second.records.empty() ? topics_.erase(it) : std::next(it);
  }
}

std::vector<endpoint> tracker_server::peers_of(const hash256& topic, clock_time now) const {
  std::vector<endpoint> out;
  if (auto it = topics_.find(topic); it != topics_.end())
    for (const auto& [peer, r] : it->second.records)
      if (r.expires > now)
        out.push_back(peer);
  return out;
}

void tracker_server::rotate(context& ctx) {
  // Drawn from the component's stream (deterministic), keyed with the operator's secret.
  uint8_t drawn[32];
  for (size_t i = 0; i < sizeof drawn; i += 8)
    store_u64le(drawn + i, ctx.random().next());
  previous_secret_ = secret_;
  secret_ = crypto::blake2b_256_keyed(config_.secret_key, byte_span{drawn, sizeof drawn});
}

bytes tracker_server::token_for(uint32_t ip, const hash256& secret) const {
  const uint8_t address[4] = {static_cast<uint8_t>(ip >> 24), static_cast<uint8_t>(ip >> 16),
                              static_cast<uint8_t>(ip >> 8), static_cast<uint8_t>(ip)};
  hash256 mac = crypto::blake2b_256_keyed(secret, byte_span{address, sizeof address});
  return bytes(mac.data(), mac.data() + config_.token_size);
}

bool tracker_server::token_valid(uint32_t ip, const bytes& token) const {
  // Both are computed, so that the time taken says nothing about which secret matched.
  bool current = same_bytes(token, token_for(ip, secret_));
  bool previous = same_bytes(token, token_for(ip, previous_secret_));
  return current || previous;
}

void tracker_server::refuse(context&, const endpoint& to, uint64_t transaction,
                            const hash256& topic, tracker::error_code code, std::string message) {
  send(to, {transaction, tracker::error_reply{static_cast<uint16_t>(code), std::move(message)}});
  ++stats_[discovery_op::tracker_announce].errors_sent;
  count_topic(topic);
}

void tracker_server::send(const endpoint& to, const tracker::packet& p) {
  bytes datagram = tracker::encode(p);
  ++stats_.datagrams_sent;
  stats_.bytes_sent += datagram.size();
  socket_.send_to(to, std::move(datagram));
}

void tracker_server::count_topic(const hash256& topic) {
  count_in(stats_.by_topic, config_.stats_topics_max, topic);
}

// ---- the client ---------------------------------------------------------------------------

tracker_client::tracker_client(datagram_socket& socket, tracker_client_config config)
  : socket_(socket), config_(std::move(config)) {
  DYNFEED_REQUIRE(!config_.trackers.empty());
  DYNFEED_REQUIRE(config_.attempts_max >= 1 && config_.attempts_max <= 16);
  DYNFEED_REQUIRE(config_.request_timeout.count() > 0 && config_.lookup_interval.count() > 0
                  && config_.announce_interval.count() > 0);
  DYNFEED_REQUIRE(config_.jitter >= 0 && config_.jitter <= 1);
}

bool tracker_client::announcing(const topic_state& t) const {
  if (config_.announce_port == 0) // nothing to announce: lookups only
    return false;
  return std::any_of(t.requesters.begin(), t.requesters.end(),
                     [](const auto& r) { return r.second; });
}

tracker_client::topic_state* tracker_client::followed(const pending& p) {
  auto it = topics_.find(p.topic);
  return it != topics_.end() && it->second.epoch == p.epoch ? &it->second : nullptr;
}

void tracker_client::on_message(context& ctx, component_id from, byte_span frame) {
  auto decoded = msg::decode(frame);
  if (!decoded) {
    ctx.log("tracker client: undecodable local frame: " + decoded.error().to_string());
    return;
  }
  auto* local = std::get_if<msg::local_message>(&*decoded);
  if (!local)
    return;
  if (auto* find = std::get_if<msg::find_peers>(local))
    on_find(ctx, from, *find);
  else if (auto* stop = std::get_if<msg::stop_finding>(local))
    on_stop_finding(ctx, from, *stop);
  else if (std::holds_alternative<msg::put_item>(*local)
           || std::holds_alternative<msg::watch_item>(*local))
    // The dht ID channel needs BEP 44 items, which a tracker does not store: its messages
    // are ignored (the command line refuses dht without a DHT before it gets here).
    ctx.log("tracker client: the dht ID channel needs the DHT; put_item/watch_item ignored");
}

void tracker_client::on_find(context& ctx, component_id from, const msg::find_peers& m) {
  auto it = topics_.find(m.topic);
  if (it == topics_.end()) {
    if (topics_.size() >= config_.topics_max) {
      ctx.log("tracker client: not following topic " + short_hex(m.topic) + ": already "
              + std::to_string(config_.topics_max) + " topics");
      return;
    }
    topic_state& t = topics_[m.topic];
    t.epoch = next_epoch_++;
    t.requesters[from] = m.announce;
    t.rounds.resize(config_.trackers.size());
    for (size_t k = 0; k < t.rounds.size(); ++k)
      start_round(ctx, m.topic, k);
    return;
  }
  topic_state& t = it->second;
  auto r = t.requesters.find(from);
  if (r == t.requesters.end() && t.requesters.size() >= config_.requesters_per_topic_max) {
    ctx.log("tracker client: topic " + short_hex(m.topic) + " already has "
            + std::to_string(config_.requesters_per_topic_max) + " requesters");
    return;
  }
  bool is_new = r == t.requesters.end();
  bool was_announcing = announcing(t);
  t.requesters[from] = m.announce;
  bool starts_announcing = !was_announcing && announcing(t);
  if (!is_new && !starts_announcing) {
    // Asked again: its peers failed. A fresh round, unless one ran just now.
    for (size_t k = 0; k < t.rounds.size(); ++k)
      if (!t.rounds[k].in_flight && ctx.now() - t.rounds[k].started >= config_.refresh_min)
        start_round(ctx, m.topic, k);
    return;
  }
  // A new requester hears of peers at once; a newly announced topic is announced at once.
  for (size_t k = 0; k < t.rounds.size(); ++k) {
    if (starts_announcing)
      t.rounds[k].next_announce = ctx.now();
    if (!t.rounds[k].in_flight)
      start_round(ctx, m.topic, k);
  }
}

void tracker_client::set_announce_port(context& ctx, uint16_t port) {
  config_.announce_port = port;
  if (port == 0)
    return;
  for (auto& [topic, t] : topics_) {
    if (!announcing(t))
      continue;
    for (size_t k = 0; k < t.rounds.size(); ++k) {
      t.rounds[k].next_announce = ctx.now(); // the address is new: announce it now
      if (!t.rounds[k].in_flight)
        start_round(ctx, topic, k);
    }
  }
}

void tracker_client::on_stop_finding(context& ctx, component_id from, const msg::stop_finding& m) {
  auto it = topics_.find(m.topic);
  if (it == topics_.end())
    return;
  it->second.requesters.erase(from);
  if (!it->second.requesters.empty())
    return;
  // Requests in flight run out on their own: their replies and timeouts are counted, and
  // change nothing. Records at the trackers expire after their TTL.
  for (round_state& r : it->second.rounds)
    if (r.timer != 0) {
      ctx.cancel_timer(r.timer);
      timers_.erase(r.timer_tag);
    }
  topics_.erase(it);
}

void tracker_client::start_round(context& ctx, const hash256& topic, size_t tracker) {
  round_state& r = topics_.at(topic).rounds[tracker];
  if (r.timer != 0) {
    ctx.cancel_timer(r.timer);
    timers_.erase(r.timer_tag);
    r.timer = 0;
  }
  r.in_flight = true;
  r.started = ctx.now();
  request(ctx, topic, tracker, tracker::lookup{topic, config_.announce_port});
}

void tracker_client::end_round(context& ctx, const hash256& topic, size_t tracker, bool failed) {
  topic_state& t = topics_.at(topic);
  round_state& r = t.rounds[tracker];
  r.in_flight = false;
  r.token_retried = false;
  clock_time delay = config_.lookup_interval;
  // After a failure the next round waits a whole interval, even if an announce is due.
  if (!failed && announcing(t))
    delay = std::min(delay, std::max(clock_time{0}, r.next_announce - ctx.now()));
  if (!failed && r.empty_rounds > 0) {
    constexpr uint32_t doublings_max = 16;
    uint32_t doublings = std::min(r.empty_rounds - 1, doublings_max);
    delay = std::min(delay, config_.empty_lookup_retry * (int64_t{1} << doublings));
  }
  auto spread = static_cast<uint64_t>(static_cast<double>(delay.count()) * config_.jitter);
  delay += clock_time{ctx.random().below(spread + 1)};
  schedule_round(ctx, topic, tracker, delay);
}

void tracker_client::schedule_round(context& ctx, const hash256& topic, size_t tracker,
                                    clock_time delay) {
  round_state& r = topics_.at(topic).rounds[tracker];
  uint64_t tag = next_tag_++;
  timers_[tag] = timer_target{false, 0, topic, tracker};
  r.timer = ctx.start_timer(delay, tag);
  r.timer_tag = tag;
}

void tracker_client::request(context& ctx, const hash256& topic, size_t tracker,
                             tracker::body body) {
  if (pending_.size() >= config_.pending_max) {
    ctx.log("tracker client: " + std::to_string(config_.pending_max)
            + " requests already wait; topic " + short_hex(topic) + " waits a round");
    end_round(ctx, topic, tracker, true);
    return;
  }
  uint64_t transaction = 0;
  while (transaction == 0 || pending_.count(transaction))
    transaction = ctx.random().next(); // unpredictable, so that off-path replies are refused
  pending p;
  p.topic = topic;
  p.epoch = topics_.at(topic).epoch;
  p.tracker = tracker;
  p.op = std::holds_alternative<tracker::announce>(body) ? discovery_op::tracker_announce
                                                         : discovery_op::tracker_lookup;
  p.datagram = tracker::encode({transaction, std::move(body)});
  transmit(ctx, transaction, pending_.emplace(transaction, std::move(p)).first->second);
}

void tracker_client::transmit(context& ctx, uint64_t transaction, pending& p) {
  ++stats_[p.op].queries_sent;
  ++stats_.datagrams_sent;
  stats_.bytes_sent += p.datagram.size();
  count_topic(p.topic);
  socket_.send_to(config_.trackers[p.tracker], p.datagram);
  uint64_t tag = next_tag_++;
  timers_[tag] = timer_target{true, transaction, p.topic, p.tracker};
  p.timer = ctx.start_timer(config_.request_timeout * (uint64_t{1} << p.attempt), tag);
  p.timer_tag = tag;
}

void tracker_client::on_timer(context& ctx, uint64_t tag) {
  auto it = timers_.find(tag);
  if (it == timers_.end())
    return;
  timer_target target = it->second;
  timers_.erase(it);
  if (target.timeout) {
    on_timeout(ctx, target.transaction);
    return;
  }
  auto t = topics_.find(target.topic);
  if (t == topics_.end())
    return;
  t->second.rounds[target.tracker].timer = 0;
  start_round(ctx, target.topic, target.tracker);
}

void tracker_client::on_timeout(context& ctx, uint64_t transaction) {
  auto it = pending_.find(transaction);
  if (it == pending_.end())
    return;
  pending& p = it->second;
  ++stats_[p.op].timeouts;
  if (followed(p) && p.attempt + 1 < config_.attempts_max) {
    // The same transaction again: a late reply to an earlier send answers it just as well.
    ++p.attempt;
    transmit(ctx, transaction, p);
    return;
  }
  pending done = std::move(p);
  pending_.erase(it);
  if (followed(done))
    end_round(ctx, done.topic, done.tracker, true);
}

void tracker_client::on_datagram(context& ctx, const endpoint& from, byte_span datagram) {
  ++stats_.datagrams_received;
  stats_.bytes_received += datagram.size();
  auto p = tracker::decode(datagram, config_.limits);
  if (!p || std::holds_alternative<tracker::lookup>(p->what)
      || std::holds_alternative<tracker::announce>(p->what)) {
    ++stats_.refused.malformed; // undecodable, or a request: a client serves none
    return;
  }
  auto it = pending_.find(p->transaction);
  if (it == pending_.end() || config_.trackers[it->second.tracker] != from) {
    ++stats_.refused.unsolicited;
    return;
  }
  bool fits = std::holds_alternative<tracker::error_reply>(p->what)
              || (it->second.op == discovery_op::tracker_lookup
                  ? std::holds_alternative<tracker::lookup_reply>(p->what)
                  : std::holds_alternative<tracker::announce_reply>(p->what));
  if (!fits) {
    ++stats_.refused.malformed; // the wrong kind of reply; the right one may still come
    return;
  }
  pending done = std::move(it->second);
  pending_.erase(it);
  ctx.cancel_timer(done.timer);
  timers_.erase(done.timer_tag);
  on_reply(ctx, done, p->what);
}

void tracker_client::on_reply(context& ctx, const pending& p, const tracker::body& reply) {
  op_counters& op = stats_[p.op];
  count_topic(p.topic);
  auto* err = std::get_if<tracker::error_reply>(&reply);
  if (err) {
    ++op.errors_received;
  } else {
    ++op.responses_received;
    if (p.op == discovery_op::tracker_lookup) {
      ++stats_.lookups;
      ++stats_.lookup_hops; // one round trip to one server
      stats_.lookup_hops_max = std::max<uint64_t>(stats_.lookup_hops_max, 1);
    }
  }
  topic_state* t = followed(p);
  if (!t)
    return; // nobody follows the topic any more
  round_state& r = t->rounds[p.tracker];
  if (err) {
    ctx.log("tracker " + config_.trackers[p.tracker].to_string() + " refused "
            + std::string{to_string(p.op)} + " of " + short_hex(p.topic) + ": "
            + tracker::to_string(static_cast<tracker::error_code>(err->code)));
    bool stale_token = p.op == discovery_op::tracker_announce
                       && err->code == static_cast<uint16_t>(tracker::error_code::bad_token);
    if (stale_token && !r.token_retried) {
      r.token_retried = true; // once per round: a fresh token, then announce again
      request(ctx, p.topic, p.tracker, tracker::lookup{p.topic, config_.announce_port});
      return;
    }
    end_round(ctx, p.topic, p.tracker, true);
    return;
  }
  if (auto* found = std::get_if<tracker::lookup_reply>(&reply)) {
    if (on_peers(ctx, p.topic, *found) == 0)
      r.empty_rounds = std::min<uint32_t>(r.empty_rounds + 1, 64);
    else
      r.empty_rounds = 0;
    if (announcing(*t) && ctx.now() >= r.next_announce) {
      if (found->token.empty()) {
        end_round(ctx, p.topic, p.tracker, true);
        return;
      }
      request(ctx, p.topic, p.tracker, tracker::announce{p.topic, config_.announce_port, found->token});
      return;
    }
    end_round(ctx, p.topic, p.tracker, false);
    return;
  }
  r.next_announce = ctx.now() + config_.announce_interval;
  end_round(ctx, p.topic, p.tracker, false);
}

size_t tracker_client::on_peers(context& ctx, const hash256& topic,
                                const tracker::lookup_reply& reply) {
  const uint32_t local_ip = socket_.local().ip;
  std::set<endpoint> seen;
  std::vector<std::string> addresses;
  for (const endpoint& e : reply.peers) {
    if (e.ip == 0 || e.port == 0)
      continue; // nobody can be reached there
    bool own = config_.announce_port != 0 && e.port == config_.announce_port
               && (e.ip == local_ip || e.ip == reply.observed_ip);
    if (own || !seen.insert(e).second)
      continue;
    addresses.push_back(e.to_string());
  }
  deliver(ctx, topic, addresses);
  return addresses.size();
}

void tracker_client::deliver(context& ctx, const hash256& topic,
                             const std::vector<std::string>& addresses) {
  auto t = topics_.find(topic);
  if (addresses.empty() || t == topics_.end())
    return;
  const size_t chunk = msg::codec_limits{}.addresses_max; // what a receiver decodes
  for (size_t first = 0; first < addresses.size(); first += chunk) {
    size_t last = std::min(addresses.size(), first + chunk);
    msg::peers_found found{topic, {addresses.begin() + first, addresses.begin() + last}};
    bytes frame = msg::encode(msg::local_message{found});
    for (const auto& [requester, wants_announce] : t->second.requesters)
      ctx.send(requester, frame);
  }
}

void tracker_client::count_topic(const hash256& topic) {
  count_in(stats_.by_topic, config_.stats_topics_max, topic);
}

} // namespace dynfeed
