#include "sim/runtime.hpp"

#include "base/assert.hpp"
#include "crypto/crypto.hpp"

namespace dynfeed::sim {

class runtime::slot_context final : public context {
public:
  slot_context(runtime& rt, component_id id) : rt_(rt), id_(id), random_(rt.seed_ ^ (id * 0x9e3779b97f4a7c15ULL)) {}

  component_id self() const override { return id_; }
  void send(component_id to, bytes frame) override {
    rt_.post(event{rt_.now_, 0, kind::frame, to, id_, 0, std::move(frame)});
  }
  clock_time now() const override { return rt_.now_; }
  timer_id start_timer(clock_time delay, uint64_t tag) override {
    timer_id id = next_timer_++;
    active_timers_.insert(id);
    timer_tags_[id] = tag;
    rt_.post(event{rt_.now_ + delay, 0, kind::timer, id_, id_, id, {}});
    return id;
  }
  void cancel_timer(timer_id id) override {
    active_timers_.erase(id);
    timer_tags_.erase(id);
  }
  rng& random() override { return random_; }

  /// The tag of timer `id` if it is still wanted.
  std::optional<uint64_t> take_timer(timer_id id) {
    if (!active_timers_.erase(id))
      return std::nullopt;
    uint64_t tag = timer_tags_.at(id);
    timer_tags_.erase(id);
    return tag;
  }

private:
  runtime& rt_;
  component_id id_;
  rng random_;
  timer_id next_timer_ = 1;
  std::unordered_set<timer_id> active_timers_;
  std::unordered_map<timer_id, uint64_t> timer_tags_;
};

struct runtime::slot {
  std::unique_ptr<component> comp;
  std::unique_ptr<slot_context> ctx;
  bool stopped = false;
};

runtime::runtime(uint64_t seed) : seed_(seed) {
  mix(seed);
}

runtime::~runtime() = default;

void runtime::mix(uint64_t v) noexcept {
  // FNV-1a over the 8 bytes: cheap, and any change in order or content changes the digest.
  for (int i = 0; i < 8; ++i) {
    digest_ ^= (v >> (8 * i)) & 0xff;
    digest_ *= 0x100000001b3ULL;
  }
}

void runtime::post(event e) {
  e.seq = next_seq_++;
  queue_.push(std::move(e));
}

component_id runtime::spawn(std::unique_ptr<component> comp) {
  component_id id = next_id_++;
  auto s = std::make_unique<slot>();
  s->comp = std::move(comp);
  s->ctx = std::make_unique<slot_context>(*this, id);
  slots_.emplace(id, std::move(s));
  post(event{now_, 0, kind::start, id, id, 0, {}});
  return id;
}

std::pair<component_id, component_id> runtime::connect(
  const node_id& a, const node_id& b, clock_time latency,
  const std::function<std::unique_ptr<connected_component>(connection&)>& make_a,
  const std::function<std::unique_ptr<connected_component>(connection&)>& make_b) {
  auto end_a = std::make_unique<link_end>();
  auto end_b = std::make_unique<link_end>();
  // Both ends share a handshake hash bound to the two identities, as Noise would give them.
  hash256 h = crypto::blake2b_256({a.span(), b.span()});
  for (auto* e : {end_a.get(), end_b.get()}) {
    e->rt_ = this;
    e->latency_ = latency;
    e->handshake_hash_ = bytes(h.bytes.begin(), h.bytes.end());
    e->handshake_hash_.resize(64, 0);
  }
  end_a->remote_ = b;
  end_a->initiator_ = true;
  end_b->remote_ = a;
  component_id ida = spawn(make_a(*end_a));
  component_id idb = spawn(make_b(*end_b));
  end_a->self_ = ida;
  end_a->other_ = idb;
  end_b->self_ = idb;
  end_b->other_ = ida;
  links_.push_back(std::move(end_a));
  links_.push_back(std::move(end_b));
  return {ida, idb};
}

void link_end::transmit(bytes frame) {
  if (closed_)
    return;
  rt_->post(runtime::event{rt_->now_ + latency_, 0, runtime::kind::remote, other_, self_, 0,
                           std::move(frame)});
}

void link_end::close(msg::disconnect_reason why) {
  if (closed_)
    return;
  closed_ = true;
  // The remote learns of it after the frames already in flight.
  rt_->post(runtime::event{rt_->now_ + latency_, 0, runtime::kind::disconnect, other_, self_,
                           static_cast<uint64_t>(why), {}});
}

void runtime::with(component_id id, const std::function<void(component&, context&)>& fn) {
  auto it = slots_.find(id);
  DYNFEED_REQUIRE(it != slots_.end());
  fn(*it->second->comp, *it->second->ctx);
}

component* runtime::find(component_id id) {
  auto it = slots_.find(id);
  return it == slots_.end() ? nullptr : it->second->comp.get();
}

void runtime::dispatch(event& e) {
  auto it = slots_.find(e.to);
  if (it == slots_.end() || it->second->stopped)
    return; // gone: dropped, like a frame to a closed connection
  slot& s = *it->second;
  switch (e.what) {
    case kind::start:
      s.comp->on_start(*s.ctx);
      break;
    case kind::frame:
      s.comp->on_message(*s.ctx, e.from, e.frame);
      break;
    case kind::remote:
      static_cast<connected_component&>(*s.comp).on_remote(*s.ctx, e.frame);
      break;
    case kind::timer:
      if (auto tag = s.ctx->take_timer(e.tag))
        s.comp->on_timer(*s.ctx, *tag);
      break;
    case kind::disconnect:
      for (auto& l : links_)
        if (l->self_ == e.to)
          l->closed_ = true;
      static_cast<connected_component&>(*s.comp).on_disconnect(
        *s.ctx, static_cast<msg::disconnect_reason>(e.tag));
      break;
  }
  if (!s.comp->alive())
    s.stopped = true;
}

bool runtime::step() {
  if (queue_.empty())
    return false;
  event e = std::move(const_cast<event&>(queue_.top()));
  queue_.pop();
  now_ = e.at;
  ++events_;
  mix(static_cast<uint64_t>(e.at.count()));
  mix(static_cast<uint64_t>(e.what));
  mix(e.to);
  mix(e.from);
  mix(e.frame.size());
  dispatch(e);
  return true;
}

void runtime::run_until(clock_time t) {
  while (!queue_.empty() && queue_.top().at <= t)
    step();
  if (now_ < t)
    now_ = t;
}

bool runtime::run_until_idle(uint64_t events_max) {
  for (uint64_t n = 0; n < events_max; ++n)
    if (!step())
      return true;
  return queue_.empty();
}

} // namespace dynfeed::sim
