#include "dynfeed/sim/runtime.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/small_vector.hpp"
#include "dynfeed/crypto/crypto.hpp"

#include <algorithm>

namespace dynfeed::sim {

// Both ends of a link are one block, side 0 first: each end finds the other beside it.
link_end& link_end::other() const noexcept {
  return *const_cast<link_end*>(side_ == 0 ? this + 1 : this - 1);
}
const node_key& link_end::remote() const { return rt_->keys_.at(other().key_); }

byte_span link_end::handshake_hash() const {
  // Bound to the two identities, the opener's first, as Noise's would be.
  // Hashes made are kept in a small table by their two keys: a link's ends ask four times
  // (each makes a capability, then checks the remote's), with other links' asking between.
  const link_end& opener = side_ == 0 ? *this : other();
  uint32_t a = opener.key_;
  uint32_t b = opener.other().key_;
  auto& cache = rt_->hash_cache_;
  if (cache.empty())
    cache.resize(runtime::hash_cache_size);
  uint64_t mixed = (uint64_t{a} << 32 | b) * 0x9e3779b97f4a7c15ULL;
  runtime::hash_entry& e = cache[(mixed >> 40) & (runtime::hash_cache_size - 1)];
  if (e.keys[0] != a || e.keys[1] != b) {
    e.hash = crypto::blake2b_256({rt_->keys_.at(a).span(), rt_->keys_.at(b).span()});
    e.keys[0] = a;
    e.keys[1] = b;
  }
  return e.hash.span();
}

void runtime::release(link_end* end) noexcept {
  end->released_ = true;
  if (!end->other().released_)
    return;
  link_end* first = end->side_ == 0 ? end : &end->other();
  if (first->host_ == no_host)
    fixed_latency_.erase(first->self_);
  first[1].~link_end();
  first[0].~link_end();
  std::allocator<link_end>().deallocate(first, 2);
}

clock_time runtime::fixed_latency(const link_end& end) const {
  const link_end& opener = end.side_ == 0 ? end : end.other();
  const clock_time* latency = fixed_latency_.find(opener.self_);
  return latency ? *latency : clock_time{0};
}

/// A component, its mailbox and timers, and the context it runs with: one block of 80 bytes
/// (a jemalloc class) per component, where a simulation holds millions of peers. Its random
/// stream lives in the runtime, made on first use: most components (peers) never draw.
struct runtime::slot final : public context {
  slot(runtime& rt, component_id id, std::unique_ptr<component> c, host_id h)
    : rt_(rt), id_(id), comp(std::move(c)), host(h), next_timer_(1), queued(false), stopped(false) {}
  slot(const slot&) = delete;
  slot& operator=(const slot&) = delete;
  ~slot() override {
    comp.reset(); // before the connection it holds a reference to
    if (link)
      rt_.release(link);
  }

  component_id self() const override { return id_; }
  void send(component_id to, bytes frame) override {
    rt_.deliver(to, mail{kind::frame, id_, 0, std::move(frame)});
  }
  bytes take_frame(byte_span frame) override {
    // The mail being handled gives up its buffer when `frame` is all of it.
    mail* current = rt_.current_ == this ? rt_.current_mail_ : nullptr;
    if (current && current->frame.data() == frame.data() && current->frame.size() == frame.size())
      return std::move(current->frame);
    return frame.to_bytes();
  }
  clock_time now() const override { return rt_.now_; }
  timer_id start_timer(clock_time delay, uint64_t tag) override {
    // Ids are counted per component, so 30 bits last any run (a component starting a timer
    // a millisecond takes twelve days of virtual time to run out); the timer's record stays
    // 16 bytes with its queue handle.
    DYNFEED_REQUIRE(next_timer_ < next_timer_max);
    auto id = static_cast<uint32_t>(next_timer_++);
    active_.push_back({tag, id, rt_.schedule_timer(rt_.now_ + delay, id_, id)});
    return id;
  }
  void cancel_timer(timer_id id) override {
    if (auto it = active(id); it != active_.end()) {
      rt_.drop_timer(id_, it->id, it->queued);
      active_.erase(it);
    }
  }
  /// The component is going: its timers leave the timed queue now rather than when due (a
  /// peer that ends before its hello timer fires would leave it there for seconds; a large
  /// run held hundreds of thousands of those).
  void drop_timers() {
    for (const wanted_timer& t : active_)
      rt_.drop_timer(id_, t.id, t.queued);
    active_.clear();
  }
  /// Made on first use, from the same seed as ever.
  rng& random() override {
    auto [found, added] = rt_.randoms_.try_emplace(id_);
    if (added)
      *found = std::make_unique<rng>(rt_.seed_ ^ (id_ * 0x9e3779b97f4a7c15ULL));
    return **found;
  }

  bool wants(timer_id id) noexcept { return active(id) != active_.end(); }
  /// The tag of timer `id` if it is still wanted.
  std::optional<uint64_t> take_timer(timer_id id) {
    auto it = active(id);
    if (it == active_.end())
      return std::nullopt;
    uint64_t tag = it->tag;
    active_.erase(it);
    return tag;
  }

  struct wanted_timer {
    uint64_t tag;
    uint32_t id;
    uint32_t queued; ///< its entry's handle in the timed queue
  };
  /// Timer `id` among the wanted ones (a component has a handful at most).
  wanted_timer* active(timer_id id) {
    return std::find_if(active_.begin(), active_.end(), [&](const auto& t) { return t.id == id; });
  }
  static constexpr uint32_t next_timer_max = uint32_t{1} << 30;

  runtime& rt_;
  component_id id_;
  std::unique_ptr<component> comp;
  link_end* link = nullptr; ///< a peer's connection: its end of a link
  /// A peer has one timer at most (its hello's): kept in place, no heap block per peer.
  small_vector<wanted_timer, 1> active_;
  host_id host = no_host;
  uint32_t head = nil; ///< the mailbox: a list of parcels, oldest first
  uint32_t tail = nil;
  uint32_t next_timer_ : 30;
  uint32_t queued : 1;
  uint32_t stopped : 1;
};

struct runtime::slot_chunk {
  static constexpr component_id size = component_id{1} << slot_chunk_shift;
  std::unique_ptr<slot> slots[size];
  uint32_t live = 0;
};

runtime::slot* runtime::slot_of(component_id id) const noexcept {
  size_t chunk = id >> slot_chunk_shift;
  if (chunk >= chunks_.size() || !chunks_[chunk])
    return nullptr;
  return chunks_[chunk]->slots[id & (slot_chunk::size - 1)].get();
}

/// A datagram socket bound on a simulated host.
class sim_socket final : public datagram_socket {
public:
  sim_socket(runtime& rt, host_id host, endpoint local) : rt_(rt), host_(host), local_(local) {}
  void send_to(const endpoint& to, bytes datagram) override {
    rt_.send_datagram(host_, local_, to, std::move(datagram));
  }
  endpoint local() const override { return local_; }

private:
  runtime& rt_;
  host_id host_;
  endpoint local_;
};

runtime::runtime(uint64_t seed, network_config net, std::unique_ptr<executor> exec)
  : seed_(seed), net_(std::move(net)), net_random_(seed ^ 0x6e6574776f726b21ULL),
    exec_(std::move(exec)) {
  mix(seed);
  if (exec_)
    exec_->attach(*this);
}

runtime::~runtime() = default;

void runtime::mix(uint64_t v) noexcept {
  // FNV-1a over the 8 bytes: cheap, and any change in order or content changes the digest.
  for (int i = 0; i < 8; ++i) {
    digest_ ^= (v >> (8 * i)) & 0xff;
    digest_ *= 0x100000001b3ULL;
  }
}

// ---- hosts -------------------------------------------------------------------------------------

host_id runtime::add_host(const host_config& config) {
  host_id id = net_.add_host(config);
  hosts_.resize(id + 1);
  return id;
}

void runtime::crash(host_id host) {
  host_state& h = hosts_.at(host);
  if (!h.alive)
    return;
  h.alive = false;
  for (uint16_t port : h.ports)
    sockets_.erase(endpoint{net_.host(host).ip, port}.packed());
  h.ports.clear();
  std::vector<component_id> gone = std::move(h.components);
  h.components.clear();
  for (component_id id : gone) {
    slot* gone_slot = slot_of(id);
    if (!gone_slot)
      continue;
    if (link_end* end = gone_slot->link; end && !end->closed_) {
      // The far end hears nothing more; it notices the break after a one-way latency.
      end->closed_ = true;
      ++stats_.links_broken;
      mail m{kind::disconnect, id, static_cast<uint64_t>(msg::disconnect_reason::transport_error), {}};
      schedule(now_ + net_.latency(end->host_, end->other().host_), end->other().self_, std::move(m));
    }
    remove(id);
  }
  net_.reset_queues(host);
}

void runtime::restart(host_id host) {
  hosts_.at(host).alive = true;
}

// ---- components --------------------------------------------------------------------------------

component_id runtime::spawn(std::unique_ptr<component> comp, host_id host) {
  DYNFEED_REQUIRE(host == no_host || hosts_.at(host).alive);
  component_id id = next_id_++;
  size_t chunk = id >> slot_chunk_shift;
  if (chunks_.size() <= chunk)
    chunks_.resize(chunk + 1);
  if (!chunks_[chunk])
    chunks_[chunk] = std::make_unique<slot_chunk>();
  chunks_[chunk]->slots[id & (slot_chunk::size - 1)] =
    std::make_unique<slot>(*this, id, std::move(comp), host);
  ++chunks_[chunk]->live;
  ++live_;
  if (host != no_host)
    hosts_[host].components.push_back(id);
  if (exec_)
    exec_->spawned(id);
  deliver(id, mail{kind::start, id, 0, {}});
  return id;
}

void runtime::remove(component_id id) {
  slot* found = slot_of(id);
  if (!found)
    return;
  slot& s = *found;
  if (s.host != no_host) {
    host_state& h = hosts_[s.host];
    h.components.erase(std::remove(h.components.begin(), h.components.end(), id), h.components.end());
  }
  // Kept until the slot is gone (the component holds a reference to it).
  std::unique_ptr<datagram_socket> socket;
  if (auto* owned = socket_owners_.find(id)) {
    socket = std::move(*owned);
    socket_owners_.erase(id);
    endpoint local = socket->local();
    sockets_.erase(local.packed());
    std::vector<uint16_t>& ports = hosts_[s.host].ports;
    ports.erase(std::remove(ports.begin(), ports.end(), local.port), ports.end());
  }
  // The far end of a link whose peer just went away hears of it (a closed connection).
  if (s.link && !s.link->closed_)
    s.link->close(msg::disconnect_reason::normal);
  for (uint32_t i = s.head; i != nil;) {
    uint32_t next = parcels_[i].next;
    take_parcel(i);
    i = next;
  }
  s.drop_timers();
  randoms_.erase(id);
  host_id host = s.host;
  size_t chunk = id >> slot_chunk_shift;
  chunks_[chunk]->slots[id & (slot_chunk::size - 1)].reset();
  if (--chunks_[chunk]->live == 0 && next_id_ >= (chunk + 1) * slot_chunk::size)
    chunks_[chunk].reset();
  --live_;
  if (exec_)
    exec_->removed(id);
  if (removed_hook_)
    removed_hook_(id, host);
}

void runtime::stop(component_id id) {
  deliver(id, mail{kind::stop, no_component, 0, {}});
}

void runtime::at(clock_time t, std::function<void()> action) {
  uint32_t id;
  if (!free_actions_.empty()) {
    id = free_actions_.back();
    free_actions_.pop_back();
    actions_[id] = std::move(action);
  } else {
    DYNFEED_REQUIRE(actions_.size() < nil);
    id = static_cast<uint32_t>(actions_.size());
    actions_.push_back(std::move(action));
  }
  schedule(t, no_component, mail{kind::action, no_component, id, {}});
}

std::pair<component_id, component_id> runtime::connect(
  const node_key& a, const node_key& b, clock_time latency,
  const std::function<std::unique_ptr<connected_component>(connection&)>& make_a,
  const std::function<std::unique_ptr<connected_component>(connection&)>& make_b) {
  auto ids = connect(no_host, no_host, a, b, make_a, make_b);
  fixed_latency_.try_emplace(ids.first, latency);
  return ids;
}

std::pair<component_id, component_id> runtime::connect(host_id a, host_id b, const node_key& node_a,
                                                       const node_key& node_b,
                                                       const peer_factory& make_a,
                                                       const peer_factory& make_b) {
  // Both ends in one block, released by their slots (the block goes with the second).
  link_end* ends = std::allocator<link_end>().allocate(2);
  link_end& ra = *new (&ends[0]) link_end;
  link_end& rb = *new (&ends[1]) link_end;
  ra.rt_ = rb.rt_ = this;
  ra.key_ = keys_.intern(node_a);
  rb.key_ = keys_.intern(node_b);
  ra.host_ = a;
  rb.host_ = b;
  rb.side_ = 1;
  component_id ida = spawn(make_a(ra), a);
  ra.self_ = ida;
  slot_of(ida)->link = &ra;
  component_id idb = spawn(make_b(rb), b);
  rb.self_ = idb;
  slot_of(idb)->link = &rb;
  return {ida, idb};
}

component_id runtime::open_datagram(host_id host, uint16_t port, const socket_factory& make) {
  endpoint local{net_.host(host).ip, port};
  DYNFEED_REQUIRE(!sockets_.contains(local.packed()));
  auto socket = std::make_unique<sim_socket>(*this, host, local);
  component_id id = spawn(make(*socket), host);
  socket_owners_.try_emplace(id, std::move(socket));
  sockets_.try_emplace(local.packed(), bound_socket{id, host});
  hosts_[host].ports.push_back(port);
  return id;
}

void runtime::with(component_id id, const std::function<void(component&, context&)>& fn) {
  slot* s = slot_of(id);
  DYNFEED_REQUIRE(s != nullptr);
  fn(*s->comp, *s);
}

component* runtime::find(component_id id) {
  slot* s = slot_of(id);
  return s ? s->comp.get() : nullptr;
}

void runtime::post_frame(component_id to, bytes frame) {
  deliver(to, mail{kind::frame, no_component, 0, std::move(frame)});
}

// ---- the network -------------------------------------------------------------------------------

void link_end::transmit(bytes frame) {
  if (closed_)
    return;
  runtime& rt = *rt_;
  host_id other_host = other().host_;
  clock_time at;
  if (host_ == no_host) {
    at = std::max(rt.now_ + rt.fixed_latency(*this), last_arrival_);
  } else {
    auto when = rt.net_.stream(host_, other_host, frame.size(), rt.now_, last_arrival_, rt.net_random_);
    if (!when) {
      // A partition: the stream stalls and breaks on both sides.
      rt.break_link(*this, msg::disconnect_reason::transport_error, rt.net_.latency(host_, other_host));
      return;
    }
    at = *when;
  }
  last_arrival_ = at;
  rt.schedule(at, other().self_, runtime::mail{runtime::kind::remote, self_, 0, std::move(frame)});
}

void link_end::close(msg::disconnect_reason why) {
  if (closed_)
    return;
  closed_ = true;
  runtime& rt = *rt_;
  // The remote learns of it after the frames already in flight.
  clock_time at = host_ == no_host ? rt.now_ + rt.fixed_latency(*this)
                                   : rt.now_ + rt.net_.latency(host_, other().host_);
  rt.schedule(std::max(at, last_arrival_), other().self_,
              runtime::mail{runtime::kind::disconnect, self_, static_cast<uint64_t>(why), {}});
}

void runtime::break_link(link_end& end, msg::disconnect_reason why, clock_time delay) {
  if (end.closed_)
    return;
  end.closed_ = true;
  ++stats_.links_broken;
  // Both ends find out: the far one after the delay, this one at once (its send failed).
  component_id other = end.other().self_;
  schedule(std::max(now_ + delay, end.last_arrival_), other,
           mail{kind::disconnect, end.self_, static_cast<uint64_t>(why), {}});
  schedule(now_, end.self_, mail{kind::disconnect, other, static_cast<uint64_t>(why), {}});
}

void runtime::send_datagram(host_id host, const endpoint& from, const endpoint& to, bytes datagram) {
  const bound_socket* bound = sockets_.find(to.packed());
  if (!bound) {
    ++stats_.datagrams_lost;
    return;
  }
  host_id dest = bound->host;
  component_id socket = bound->component;
  if (!net_.nat_admits(host, from, dest, to, now_)) {
    ++stats_.datagrams_filtered;
    return;
  }
  datagram_fate fate = net_.datagram(host, dest, datagram.size(), now_, net_random_);
  if (fate.count == 0)
    ++stats_.datagrams_lost;
  for (uint8_t i = 0; i < fate.count; ++i)
    schedule(fate.at[i], socket,
             mail{kind::datagram, no_component, from.packed(), i + 1 < fate.count ? datagram : std::move(datagram)});
}

// ---- running -----------------------------------------------------------------------------------

uint32_t runtime::make_parcel(mail&& m) {
  uint32_t index;
  if (!free_parcels_.empty()) {
    index = free_parcels_.back();
    free_parcels_.pop_back();
    parcels_[index].m = std::move(m);
  } else {
    DYNFEED_REQUIRE(parcels_.size() < nil);
    index = static_cast<uint32_t>(parcels_.size());
    parcels_.push_back(parcel{std::move(m), nil});
  }
  parcels_[index].next = nil;
  return index;
}

runtime::mail runtime::take_parcel(uint32_t index) {
  mail m = std::move(parcels_[index].m);
  parcels_[index].m.frame = bytes{}; // the pool keeps no buffers alive
  free_parcels_.push_back(index);
  return m;
}

void runtime::schedule(clock_time at, component_id to, mail m) {
  uint64_t key = (uint64_t{1} << 63) | next_seq_++;
  queue_.push(timed{at, key, to, make_parcel(std::move(m))});
}

uint32_t runtime::schedule_timer(clock_time at, component_id to, timer_id id) {
  return queue_.push(timed{at, next_seq_++, to, id});
}

void runtime::drop_timer(component_id to, timer_id id, uint32_t queued) {
  // Dropping it changes nothing a run shows: a timer no longer wanted was skipped when due,
  // without a trace, an event or a count.
  queue_.erase(queued, [&](const timed& e) {
    return e.cls() == order::timer && e.to == to && e.aux == id;
  });
}

void runtime::deliver(component_id to, mail m) {
  deliver_parcel(to, make_parcel(std::move(m)));
}

void runtime::deliver_parcel(component_id to, uint32_t index) {
  slot* found = slot_of(to);
  if (!found || found->stopped) {
    take_parcel(index); // gone: dropped, like a frame to a closed connection
    return;
  }
  if (exec_) {
    exec_->post(to, take_parcel(index));
    return;
  }
  slot& s = *found;
  if (s.tail == nil)
    s.head = index;
  else
    parcels_[s.tail].next = index;
  s.tail = index;
  if (!s.queued) {
    s.queued = true;
    ready_.push_back(to);
  }
}

void runtime::handle(slot& s, mail& m) {
  ++stats_.messages;
  if (m.what == kind::frame || m.what == kind::remote || m.what == kind::datagram)
    ++stats_.frames;
  context& ctx = s;
  current_ = &s;
  current_mail_ = &m;
  handle_mail(s, ctx, m);
  current_ = nullptr;
  current_mail_ = nullptr;
}

void runtime::handle_mail(slot& s, context& ctx, mail& m) {
  switch (m.what) {
    case kind::start:
      s.comp->on_start(ctx);
      break;
    case kind::frame:
      s.comp->on_message(ctx, m.from, m.frame);
      break;
    case kind::remote:
      static_cast<connected_component&>(*s.comp).on_remote(ctx, m.frame);
      break;
    case kind::timer:
      if (auto tag = s.take_timer(m.tag))
        s.comp->on_timer(ctx, *tag);
      break;
    case kind::disconnect:
      if (s.link)
        s.link->closed_ = true;
      static_cast<connected_component&>(*s.comp).on_disconnect(
        ctx, static_cast<msg::disconnect_reason>(m.tag));
      break;
    case kind::datagram: {
      endpoint from{static_cast<uint32_t>(m.tag >> 16), static_cast<uint16_t>(m.tag & 0xffff)};
      static_cast<datagram_component&>(*s.comp).on_datagram(ctx, from, m.frame);
      break;
    }
    case kind::stop:
      s.comp->on_stop(ctx);
      s.stopped = true;
      break;
    case kind::action:
      break; // run by step(), never mailed
  }
}

bool runtime::settle(component_id id, slot& s) {
  if (s.stopped || !s.comp->alive()) {
    s.stopped = true;
    remove(id);
    return false;
  }
  return true;
}

bool runtime::admit(component_id id, kind what) {
  slot* s = slot_of(id);
  if (!s || s->stopped)
    return false;
  ++stats_.messages;
  if (what == kind::frame || what == kind::remote || what == kind::datagram)
    ++stats_.frames;
  if (what == kind::disconnect && s->link)
    s->link->closed_ = true;
  if (what == kind::stop)
    s->stopped = true;
  return true;
}

bool runtime::settle(component_id id) {
  slot* s = slot_of(id);
  return s && settle(id, *s);
}

void runtime::ended(component_id id) {
  if (slot_of(id))
    remove(id);
}

context& runtime::context_of(component_id id) {
  slot* s = slot_of(id);
  DYNFEED_REQUIRE(s != nullptr);
  return *s;
}

std::optional<uint64_t> runtime::take_timer(component_id id, timer_id timer) {
  slot* s = slot_of(id);
  return s ? s->take_timer(timer) : std::nullopt;
}

bool runtime::has_ready() const {
  return exec_ ? !exec_->idle() : !ready_.empty();
}

void runtime::run_ready() {
  if (exec_) {
    exec_->run();
    return;
  }
  while (!ready_.empty()) {
    component_id id = ready_.front();
    ready_.pop_front();
    slot* found = slot_of(id);
    if (!found)
      continue;
    slot& s = *found;
    if (s.stopped || s.head == nil) {
      s.queued = false;
      continue;
    }
    uint32_t index = s.head;
    s.head = parcels_[index].next;
    if (s.head == nil)
      s.tail = nil;
    mail m = take_parcel(index);
    handle(s, m);
    if (!settle(id, s))
      continue;
    if (s.head != nil)
      ready_.push_front(id); // drains its mailbox before anyone else runs
    else
      s.queued = false;
  }
}

bool runtime::step() {
  if (has_ready()) {
    run_ready();
    return true;
  }
  if (queue_.empty())
    return false;
  const timed& top = queue_.top();
  clock_time at = top.at;
  now_ = at;
  if (top.cls() == order::timer) {
    // Every timer of this instant fires before anything else runs. A timer that was cancelled,
    // or whose component is gone, is dropped here without a trace.
    while (!queue_.empty() && queue_.top().at == at && queue_.top().cls() == order::timer) {
      timed t = queue_.top();
      queue_.pop();
      slot* s = slot_of(t.to);
      if (!s || s->stopped || !s->wants(t.aux))
        continue;
      ++events_;
      ++stats_.timers;
      mix(static_cast<uint64_t>(at.count()));
      mix(t.to);
      deliver(t.to, mail{kind::timer, t.to, t.aux, {}});
    }
  } else {
    timed t = top;
    queue_.pop();
    ++events_;
    mix(static_cast<uint64_t>(at.count()));
    kind what = parcels_[t.aux].m.what;
    if (what == kind::action) {
      mix(static_cast<uint64_t>(kind::action));
      auto id = static_cast<uint32_t>(take_parcel(static_cast<uint32_t>(t.aux)).tag);
      std::function<void()> action = std::move(actions_[id]);
      actions_[id] = nullptr;
      free_actions_.push_back(id);
      action();
    } else {
      size_t size = parcels_[t.aux].m.frame.size();
      mix(static_cast<uint64_t>(what));
      mix(t.to);
      mix(size);
      if (what == kind::remote) {
        ++stats_.link_frames;
        stats_.link_bytes += size;
      } else if (what == kind::datagram) {
        ++stats_.datagrams;
        stats_.datagram_bytes += size;
      }
      deliver_parcel(t.to, static_cast<uint32_t>(t.aux));
    }
  }
  run_ready();
  return true;
}

void runtime::run_until(clock_time t) {
  run_ready();
  while (!queue_.empty() && queue_.top().at <= t)
    step();
  if (now_ < t)
    now_ = t;
}

bool runtime::run_until_idle(uint64_t events_max) {
  for (uint64_t n = 0; n < events_max; ++n)
    if (!step())
      return true;
  return queue_.empty() && !has_ready();
}

} // namespace dynfeed::sim
