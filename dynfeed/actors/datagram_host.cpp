#include "dynfeed/actors/datagram_host.hpp"

#include "dynfeed/base/assert.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>
#include <caf/weak_intrusive_ptr.hpp>

#include <mutex>
#include <utility>
#include <vector>

namespace dynfeed {

namespace {

/// Carries datagrams from the socket's thread to the actor of their component. The socket
/// exists before the actor does, so what arrives in between waits here (at most waiting_max,
/// as a socket's buffer would hold it). It holds the actor weakly: the actor owns the socket,
/// which owns this inbox.
class datagram_inbox {
public:
  static constexpr size_t waiting_max = 256;

  void deliver(const endpoint& from, bytes datagram) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!attached_) {
      if (waiting_.size() < waiting_max)
        waiting_.emplace_back(from, std::move(datagram));
      return;
    }
    forward(from, std::move(datagram));
  }

  void attach(const caf::actor& target) {
    std::lock_guard<std::mutex> guard(mutex_);
    DYNFEED_ASSERT(!attached_);
    target_ = caf::actor_cast<caf::weak_actor_ptr>(target);
    attached_ = true;
    for (auto& [from, datagram] : waiting_)
      forward(from, std::move(datagram));
    waiting_.clear();
  }

private:
  void forward(const endpoint& from, bytes datagram) {
    if (caf::strong_actor_ptr strong = target_.lock())
      caf::anon_send(caf::actor_cast<caf::actor>(strong), atoms::datagram::value, from.ip,
                     from.port, std::move(datagram));
  }

  std::mutex mutex_;
  bool attached_ = false;
  caf::weak_actor_ptr target_;
  std::vector<std::pair<endpoint, bytes>> waiting_;
};

/// The hosted component with its socket: the component goes first when both are destroyed,
/// then the socket, which stops receiving before it closes.
class socket_owner final : public component {
public:
  socket_owner(std::unique_ptr<datagram_socket> socket, const datagram_component_factory& make)
    : socket_(std::move(socket)), inner_(make(*socket_)) {
    DYNFEED_REQUIRE(inner_ != nullptr);
  }

  void on_start(context& ctx) override { inner_->on_start(ctx); }
  void on_message(context& ctx, component_id from, byte_span frame) override {
    inner_->on_message(ctx, from, frame);
  }
  void on_timer(context& ctx, uint64_t tag) override { inner_->on_timer(ctx, tag); }
  void on_stop(context& ctx) override { inner_->on_stop(ctx); }
  bool alive() const override { return inner_->alive(); }

  datagram_component& inner() noexcept { return *inner_; }
  /// The component as a discovery backend, if it is one.
  discovery_component* discovery() noexcept {
    return dynamic_cast<discovery_component*>(inner_.get());
  }

private:
  std::unique_ptr<datagram_socket> socket_;
  std::unique_ptr<datagram_component> inner_;
};

caf::message_handler datagram_behavior(component_actor_type* self) {
  auto owner = [self]() -> socket_owner& { return static_cast<socket_owner&>(*self->state.comp); };
  return {
    [self, owner](atoms::datagram, uint32_t ip, uint16_t port, const bytes& datagram) {
      owner().inner().on_datagram(*self->state.ctx, endpoint{ip, port}, datagram);
      if (!owner().alive())
        self->quit();
    },
    [self, owner](atoms::announce_port, uint16_t port) {
      if (discovery_component* d = owner().discovery())
        d->set_announce_port(*self->state.ctx, port);
    },
    [self, owner](atoms::run, const datagram_task& task) {
      if (task)
        task(owner().inner(), *self->state.ctx);
      if (!owner().alive())
        self->quit();
    },
    [owner](atoms::info) -> caf::result<discovery_stats> {
      if (discovery_component* d = owner().discovery())
        return d->stats();
      return caf::make_error(caf::sec::unexpected_message, "not a discovery component");
    },
  };
}

} // namespace

expected<hosted_datagram>
spawn_datagram_component(caf::actor_system& sys, const std::shared_ptr<actor_directory>& directory,
                         datagram_transport& transport, const endpoint& local,
                         const datagram_component_factory& make) {
  auto inbox = std::make_shared<datagram_inbox>();
  auto socket = transport.open(local, [inbox](const endpoint& from, bytes datagram) {
    inbox->deliver(from, std::move(datagram));
  });
  if (!socket)
    return std::move(socket).error();
  hosted_datagram out;
  out.local = (*socket)->local();
  out.id = spawn_component(sys, directory, std::make_unique<socket_owner>(std::move(*socket), make),
                           datagram_behavior, &out.actor);
  inbox->attach(out.actor);
  return out;
}

} // namespace dynfeed
