#include "dynfeed/sim/hostile.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/feed/capability.hpp"
#include "dynfeed/messages/codec.hpp"
#include "dynfeed/sim/hostile_dht.hpp"
#include "dynfeed/sim/sim_node.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace dynfeed::sim {

namespace {

using msg::disconnect_reason;
using namespace std::chrono_literals;

constexpr std::array<std::string_view, hostile_kind_count> kind_names = {
  "bad_proof", "unsolicited_data", "phantom_blocks", "silent",
  "forged_value", "stale_value", "request_flood",
  "dht_liar", "lookup_flood", "false_announce",
};

constexpr uint64_t linger_tag = 1;
constexpr uint64_t tick_tag = 2;
/// Our channel number for the feed: we open it, so it is ours to choose.
constexpr uint32_t our_channel = 1;
/// Far past any length a feed reaches: what a flood asks for, and an id nobody used.
constexpr uint64_t far_index = uint64_t{1} << 50;

/// Bytes that look like blocks and hashes and are none.
bytes junk(rng& r, size_t size) {
  bytes out(size);
  for (uint8_t& b : out)
    b = static_cast<uint8_t>(r.next());
  return out;
}

tree_node junk_node(rng& r, uint64_t index) {
  tree_node n;
  n.index = index;
  n.size = 1024;
  n.hash = hash256::from(junk(r, 32));
  return n;
}

/// A proof of the shape `req` asks for, with contents of nobody's tree.
proof junk_proof(rng& r, const proof_request& req, uint32_t block_size) {
  proof p;
  p.fork = req.fork;
  if (req.block) {
    block_proof b;
    b.index = req.block->index;
    for (uint64_t i = 0; i < req.block->count && i < chunk_blocks_max; ++i)
      b.values.push_back(junk(r, block_size));
    for (uint64_t i = 0; i < req.block->nodes && i < proof_depth_max; ++i)
      b.nodes.push_back(junk_node(r, 2 * req.block->index + i));
    p.block = std::move(b);
  }
  if (req.upgrade) {
    upgrade_proof u;
    u.start = req.upgrade->start;
    u.length = req.upgrade->length;
    u.nodes.push_back(junk_node(r, 2 * u.start));
    u.signed_length = u.start + u.length;
    u.sig = signature::from(junk(r, 64));
    p.upgrade = std::move(u);
  }
  return p;
}

node_key hostile_id(uint32_t ip) {
  bytes seed = {'h', 'o', 's', 't', 'i', 'l', 'e'};
  put_u64le(seed, ip);
  return node_key::from(crypto::blake2b_256(seed).span());
}

} // namespace

std::string_view name_of(hostile_kind kind) noexcept {
  auto i = static_cast<size_t>(kind);
  return i < kind_names.size() ? kind_names[i] : "unknown";
}

std::optional<hostile_kind> hostile_kind_named(std::string_view name) noexcept {
  for (size_t i = 0; i < kind_names.size(); ++i)
    if (kind_names[i] == name)
      return static_cast<hostile_kind>(i);
  return std::nullopt;
}

bool hostile_config::set() const noexcept {
  for (uint32_t n : nodes)
    if (n > 0)
      return true;
  return share > 0;
}

std::array<uint32_t, hostile_kind_count> hostile_config::resolve(uint32_t readers, bool values,
                                                                 bool dht) const noexcept {
  std::array<uint32_t, hostile_kind_count> out = nodes;
  auto extra = static_cast<uint32_t>(share * readers + 0.5);
  uint32_t mask = share_kinds;
  if (mask == 0) {
    mask = (1u << hostile_kind_count) - 1;
    if (!values)
      mask &= ~((1u << static_cast<unsigned>(hostile_kind::forged_value)) |
                (1u << static_cast<unsigned>(hostile_kind::stale_value)));
    if (!dht)
      for (hostile_kind k : {hostile_kind::dht_liar, hostile_kind::lookup_flood,
                             hostile_kind::false_announce})
        mask &= ~(1u << static_cast<unsigned>(k));
  }
  for (size_t k = 0; extra > 0; k = (k + 1) % hostile_kind_count)
    if (mask & (1u << k)) {
      ++out[k];
      --extra;
    }
  return out;
}

std::vector<std::pair<std::string, std::string>> hostile_rows(
  const hostile_book& book, const std::array<uint32_t, hostile_kind_count>& nodes) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t k = 0; k < hostile_kind_count; ++k) {
    if (nodes[k] == 0)
      continue;
    auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
    char text[160];
    std::snprintf(text, sizeof text, "%u nodes, %llu connections, %llu acts, %llu rejected, "
                  "%llu unanswered, %llu open", nodes[k], u(book.tally.connections[k]),
                  u(book.tally.acts[k]), u(book.tally.rejected[k]), u(book.unanswered[k]),
                  u(book.open[k]));
    std::string line = text;
    if (dht_kind(static_cast<hostile_kind>(k))) {
      std::snprintf(text, sizeof text, ", %llu harmless, %llu accepted", u(book.harmless[k]),
                    u(book.accepted[k]));
      line += text;
    }
    out.emplace_back(std::string(name_of(static_cast<hostile_kind>(k))), line);
  }
  return out;
}

// ---- one hostile connection ------------------------------------------------------------------

hostile_peer::hostile_peer(hostile_kind kind, hostile_book& book, connection& conn,
                           clock_time linger)
    : kind_(kind), book_(book), conn_(conn), linger_(linger) {}

hostile_peer::~hostile_peer() = default;

disconnect_reason hostile_peer::expected_bye(hostile_kind kind) noexcept {
  switch (kind) {
    case hostile_kind::bad_proof:
    case hostile_kind::forged_value:
      return disconnect_reason::invalid_proof;
    case hostile_kind::unsolicited_data:
      return disconnect_reason::unsolicited_data;
    case hostile_kind::phantom_blocks:
    case hostile_kind::silent:
      return disconnect_reason::timeout;
    default:
      return disconnect_reason::normal; // answered without a bye
  }
}

void hostile_peer::on_start(context& ctx) {
  ctx.start_timer(linger_, linger_tag);
  if (kind_ == hostile_kind::silent) {
    count_lie(); // the connection is the lie: it never says hello
    return;
  }
  msg::hello h;
  h.user_agent = "dynfeed";
  conn_.transmit(msg::encode(msg::wire_message{h}));
  msg::open_channel open;
  open.channel = our_channel;
  open.discovery_key = crypto::discovery_key(book_.feed_key);
  open.capability = replication_capability(conn_.initiator(), book_.feed_key, conn_.handshake_hash());
  conn_.transmit(msg::encode(msg::wire_message{open}));
}

void hostile_peer::on_remote(context& ctx, byte_span frame) {
  auto decoded = msg::decode_wire(frame);
  if (!decoded)
    return;
  msg::wire_message& m = *decoded;
  if (auto* b = std::get_if<msg::bye>(&m)) {
    // Ending the connection refuses every lie still unanswered on it.
    if (b->code == static_cast<uint16_t>(expected_bye(kind_)) && !answered_kind())
      reject(pending_);
  } else if (std::holds_alternative<msg::open_channel>(m)) {
    if (!opened_) {
      opened_ = true;
      on_channel_up(ctx);
    }
  } else if (auto* q = std::get_if<msg::request>(&m)) {
    on_request(*q);
    if (kind_ == hostile_kind::bad_proof) {
      msg::data d{our_channel, q->id, junk_proof(ctx.random(), q->body, book_.block_size)};
      lie(msg::encode(msg::wire_message{d}));
    }
  } else if (auto* n = std::get_if<msg::no_data>(&m)) {
    if (kind_ == hostile_kind::request_flood && n->id >= far_index)
      reject(1);
  } else if (std::holds_alternative<msg::cancel>(m)) {
    if (kind_ == hostile_kind::phantom_blocks)
      reject(1); // it gave up on a request we left unanswered
  } else if (auto* p = std::get_if<msg::id_push>(&m)) {
    on_value(p->value);
  }
}

void hostile_peer::on_channel_up(context& ctx) {
  switch (kind_) {
    case hostile_kind::bad_proof:
    case hostile_kind::phantom_blocks:
      claim_blocks();
      ctx.start_timer(1s, tick_tag);
      break;
    case hostile_kind::unsolicited_data: {
      proof_request body;
      body.block = block_request{0, 0, 1};
      msg::data d{our_channel, far_index, junk_proof(ctx.random(), body, book_.block_size)};
      lie(msg::encode(msg::wire_message{d}));
      break;
    }
    case hostile_kind::request_flood:
      for (uint32_t i = 0; i < flood_requests_; ++i) {
        msg::request q;
        q.channel = our_channel;
        q.id = far_index + next_id_++;
        q.body.block = block_request{far_index + i, 0, 1};
        lie(msg::encode(msg::wire_message{q}));
      }
      break;
    default:
      break; // the value kinds wait for the reader's value (id_push)
  }
}

/// "I hold every block the writer wrote": what makes a reader ask us.
void hostile_peer::claim_blocks() {
  uint64_t length = book_.writer_length();
  if (length == claimed_)
    return;
  claimed_ = length;
  conn_.transmit(msg::encode(msg::wire_message{msg::sync{our_channel, 0, length}}));
  conn_.transmit(msg::encode(msg::wire_message{msg::range{our_channel, 0, length, false}}));
}

void hostile_peer::on_request(const msg::request& /*m*/) {
  if (kind_ != hostile_kind::phantom_blocks)
    return;
  count_lie(); // a request for blocks we claimed, left unanswered
}

void hostile_peer::on_value(const signed_value& value) {
  if (kind_ == hostile_kind::stale_value) {
    if (stale_seq_ && value.seq > *stale_seq_ && pending_ > 0) {
      reject(1); // it answered with a newer value: ours was refused as stale
      return;
    }
    if (!book_.recorded || value.seq < book_.recorded->seq)
      book_.recorded = value;
    if (book_.recorded->seq < value.seq && !stale_seq_) {
      stale_seq_ = book_.recorded->seq;
      lie(msg::encode(msg::wire_message{msg::id_push{our_channel, *book_.recorded}}));
    }
  } else if (kind_ == hostile_kind::forged_value && !forged_) {
    forged_ = true;
    signed_value forged = value;
    ++forged.seq; // the writer's signature, over another seq
    lie(msg::encode(msg::wire_message{msg::id_push{our_channel, std::move(forged)}}));
  }
}

void hostile_peer::count_lie() {
  auto k = static_cast<size_t>(kind_);
  ++book_.tally.acts[k];
  ++book_.open[k];
  ++pending_;
}

void hostile_peer::lie(bytes frame) {
  count_lie();
  conn_.transmit(std::move(frame));
}

void hostile_peer::reject(uint64_t lies) {
  lies = std::min(lies, pending_);
  auto k = static_cast<size_t>(kind_);
  book_.tally.rejected[k] += lies;
  book_.open[k] -= lies;
  pending_ -= lies;
}

void hostile_peer::on_timer(context& ctx, uint64_t tag) {
  if (ended_)
    return;
  if (tag == tick_tag) {
    claim_blocks();
    ctx.start_timer(1s, tick_tag);
    return;
  }
  // Long enough for every reaction the honest side has (3 request timeouts); once more when
  // a lie is still waiting for its answer.
  if (pending_ > 0 && !lingered_) {
    lingered_ = true;
    ctx.start_timer(linger_, linger_tag);
    return;
  }
  conn_.close(disconnect_reason::normal);
  end();
}

void hostile_peer::on_disconnect(context&, disconnect_reason) {
  end();
}

void hostile_peer::end() {
  if (ended_)
    return;
  ended_ = true;
  auto k = static_cast<size_t>(kind_);
  book_.open[k] -= pending_;
  book_.unanswered[k] += pending_;
  pending_ = 0;
}

// ---- the hostile hosts -----------------------------------------------------------------------

hostile_nodes::hostile_nodes(driver& drv, world& w, const hostile_config& config, uint64_t seed,
                             hostile_book book)
    : drv_(drv), world_(w), config_(config), random_(seed ^ 0x686f7374696c65ULL),
      book_(std::move(book)) {}

hostile_nodes::~hostile_nodes() = default;

void hostile_nodes::add_hosts(const std::array<uint32_t, hostile_kind_count>& nodes,
                              uint32_t first_ip) {
  uint32_t ip = first_ip;
  for (size_t k = 0; k < hostile_kind_count; ++k)
    for (uint32_t i = 0; i < nodes[k]; ++i, ++ip) {
      auto kind = static_cast<hostile_kind>(k);
      nodes_.push_back(node{kind, drv_.add_host(host_config{ip, 0, 0, 0}), ip, hostile_id(ip)});
      if (dht_kind(kind))
        open_dht(nodes_.back());
    }
}

void hostile_nodes::open_dht(node& n) {
  node_id id = node_id::from(n.id.span().subspan(0, node_id::size_bytes));
  uint64_t seed = random_.next();
  hostile_dht_node* made = nullptr;
  drv_.open_datagram(n.host, discovery_port, [&](datagram_socket& socket) {
    auto c = std::make_unique<hostile_dht_node>(n.kind, book_, socket, id, seed,
                                                config_.flood_requests);
    made = c.get();
    return c;
  });
  n.dht = made;
}

void hostile_nodes::schedule(clock_time end, pick_fn pick) {
  pick_ = std::move(pick);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    clock_time first = config_.start + clock_time{random_.below(
                                         static_cast<uint64_t>(config_.interval.count()) + 1)};
    if (first < end)
      drv_.at(first, [this, i, end] {
        dial(i);
        next_round(i, end);
      });
  }
}

void hostile_nodes::next_round(size_t index, clock_time end) {
  auto span = static_cast<uint64_t>(config_.interval.count());
  clock_time t = drv_.now() + clock_time{span / 2 + random_.below(span + 1)};
  if (t < end)
    drv_.at(t, [this, index, end] {
      dial(index);
      next_round(index, end);
    });
}

void hostile_nodes::dial(size_t index) {
  const node& n = nodes_[index];
  sim_node* to = pick_(random_);
  if (!to || !to->running() || drv_.net().behind_nat(to->host()))
    return;
  if (n.dht) { // a datagram to the reader's DHT node, no connection
    n.dht->act(drv_.now(), endpoint{to->address().ip, discovery_port});
    return;
  }
  // The handshake, as world::dial models it: TCP's latency, then Noise XX's three messages.
  clock_time wait = drv_.net().latency(n.host, to->host()) * 5;
  uint64_t epoch = to->epoch();
  drv_.at(drv_.now() + wait, [this, index, to, epoch] {
    const node& n = nodes_[index];
    if (!to->running() || to->epoch() != epoch || !drv_.net().reachable(n.host, to->host()))
      return;
    ++book_.tally.connections[static_cast<size_t>(n.kind)];
    hostile_kind kind = n.kind;
    uint32_t flood = config_.flood_requests;
    world_.accept(*to, n.host, n.id, endpoint{n.ip, peer_port}.to_string(),
                  [this, kind, flood](connection& c) {
                    auto p = std::make_unique<hostile_peer>(kind, book_, c, 60s);
                    p->set_flood_requests(flood);
                    return p;
                  });
  });
}

} // namespace dynfeed::sim
