#include "dynfeed/tcp/tcp.hpp"

#include "dynfeed/atoms.hpp"
#include "dynfeed/types.hpp"
#include "dynfeed/messages/messages.hpp"
#include "dynfeed/channel/secure_channel.hpp"
#include "dynfeed/component/connection.hpp"
#include "dynfeed/component/frame_backlog.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <charconv>
#include <mutex>

namespace dynfeed {

using msg::disconnect_reason;

bool parse_address(const std::string& address, std::string& host, uint16_t& port) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return false;
  host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  auto [end, ec] = std::from_chars(first, last, port);
  return ec == std::errc{} && end == last;
}

namespace {

constexpr std::string_view prologue = "dynfeed/1";

using handshake_timeout_atom = caf::atom_constant<caf::atom("hstimeout")>;

struct connection_state {
  static inline const char* name = "dynfeed.tcp";
  std::unique_ptr<secure_channel> channel;
  channel_events events;
  caf::actor node;
  caf::actor peer;
  /// Frames that arrived before the peer existed; past its bound the connection closes with
  /// setup_backlog.
  frame_backlog early_frames;
  bool asking = false;      ///< the node has not answered with the peer yet
  uint16_t close_code = 0;  ///< why it closed, for a peer that is yet to come
  std::string address;
  bool outbound = false;
  size_t socket_buffer_max = 0;
  bool closing = false;
};

using connection_broker = caf::io::stateful_broker<connection_state>;

/// Moves sealed output into the socket's buffer, as far as its bound allows.
void pump(connection_broker* self, caf::io::connection_handle hdl) {
  auto& st = self->state;
  auto& buf = self->wr_buf(hdl);
  while (buf.size() < st.socket_buffer_max) {
    byte_span out = st.channel->output();
    if (out.empty())
      break;
    size_t n = std::min(out.size(), st.socket_buffer_max - buf.size());
    buf.insert(buf.end(), reinterpret_cast<const char*>(out.data()),
               reinterpret_cast<const char*>(out.data()) + n);
    st.channel->consume_output(n);
  }
  self->flush(hdl);
}

/// Ends the connection and tells whoever needs to know.
void finish(connection_broker* self, caf::io::connection_handle hdl, disconnect_reason why) {
  auto& st = self->state;
  if (st.closing)
    return;
  st.closing = true;
  auto code = static_cast<uint16_t>(why);
  st.close_code = code;
  st.early_frames.take();
  if (st.asking) {
    // The node is spawning the peer: it hears why once it exists (the answer quits then).
    self->close(hdl);
    return;
  }
  if (st.peer)
    self->send(st.peer, atoms::disconnected::value, code);
  else if (st.outbound)
    self->send(st.node, atoms::disconnected::value, st.address, code); // the dial failed
  self->close(hdl);
  self->quit();
}

void on_handshake(connection_broker* self, caf::io::connection_handle hdl) {
  auto& st = self->state;
  node_key remote = node_key::from(st.channel->remote_static().span());
  const noise_hash& h = st.channel->handshake_hash();
  bytes hh(h.bytes.begin(), h.bytes.end());
  bool initiator = st.channel->role() == noise_role::initiator;
  st.asking = true;
  self
    ->request(st.node, caf::infinite, atoms::connected::value,
              caf::actor_cast<caf::actor>(self), remote, hh, initiator, st.address)
    .then(
      [self, hdl](caf::actor peer) {
        auto& s = self->state;
        s.asking = false;
        if (s.closing) {
          self->send(peer, atoms::disconnected::value, s.close_code);
          self->quit();
          return;
        }
        s.peer = std::move(peer);
        // A peer that stops (it closed the connection, or its node is going) ends the socket.
        self->monitor(s.peer);
        for (bytes& frame : s.early_frames.take())
          self->send(s.peer, atoms::remote::value, std::move(frame));
      },
      [self, hdl](caf::error&) {
        auto& s = self->state;
        s.asking = false;
        if (s.closing) {
          self->quit();
          return;
        }
        finish(self, hdl, disconnect_reason::shutting_down);
      });
}

/// Feeds bytes from the socket to the channel; frames go to the peer, or wait for it within
/// their bound.
void on_data(connection_broker* self, caf::io::connection_handle hdl, const std::vector<char>& buf) {
  auto& s = self->state;
  if (s.closing)
    return;
  bool was_open = s.channel->handshake_complete();
  s.events.clear();
  auto fed = s.channel->feed(byte_span{reinterpret_cast<const uint8_t*>(buf.data()), buf.size()},
                             s.events);
  if (!fed) {
    finish(self, hdl, disconnect_reason::transport_error);
    return;
  }
  if (!was_open && s.events.handshake_completed)
    on_handshake(self, hdl);
  for (bytes& frame : s.events.frames) {
    if (s.peer) {
      self->send(s.peer, atoms::remote::value, std::move(frame));
      continue;
    }
    if (!s.early_frames.push(std::move(frame))) {
      finish(self, hdl, disconnect_reason::setup_backlog);
      return;
    }
  }
  pump(self, hdl);
}

caf::behavior run_connection(connection_broker* self, caf::io::connection_handle hdl,
                             caf::actor node, std::string address,
                             tcp_options options, noise_keypair identity, noise_role role) {
  auto& st = self->state;
  secure_channel_config cc;
  cc.prologue = bytes(prologue.begin(), prologue.end());
  cc.frame_size_max = options.frame_size_max;
  st.channel = std::make_unique<secure_channel>(role, identity, cc);
  st.node = std::move(node);
  st.address = std::move(address);
  st.outbound = role == noise_role::initiator;
  st.socket_buffer_max = options.socket_buffer_max;
  // CAF's fork() runs this before it hands the socket over, so everything that touches the
  // socket waits for the first message.
  self->send(self, atoms::start::value);
  // The node or the peer stopping ends the connection.
  self->set_down_handler([self, hdl](const caf::down_msg&) {
    self->state.closing = true;
    self->close(hdl);
    self->quit();
  });
  self->delayed_send(self, options.handshake_timeout, handshake_timeout_atom::value);
  return {
    [self, hdl](atoms::start) {
      // The connection lives as long as its node (monitored, not linked: a connection that
      // ends must not take its node with it).
      self->monitor(self->state.node);
      self->configure_read(hdl, caf::io::receive_policy::at_most(64 * 1024));
      self->ack_writes(hdl, true);
      pump(self, hdl); // the initiator's first handshake message
    },
    [self, hdl](const caf::io::new_data_msg& m) { on_data(self, hdl, m.buf); },
    [self, hdl](const caf::io::data_transferred_msg&) { pump(self, hdl); },
    [self, hdl](atoms::transmit, const bytes& frame) {
      auto& s = self->state;
      if (s.closing)
        return;
      if (!s.channel->send(frame)) {
        // The remote has not read for a long time: the output buffer is full.
        finish(self, hdl, disconnect_reason::transport_error);
        return;
      }
      pump(self, hdl);
    },
    [self, hdl](atoms::close, uint16_t) {
      auto& s = self->state;
      if (s.closing)
        return;
      pump(self, hdl);
      s.closing = true; // the peer closed it; it knows
      self->close(hdl);
      self->quit();
    },
    [self, hdl](handshake_timeout_atom) {
      if (!self->state.channel->handshake_complete())
        finish(self, hdl, disconnect_reason::timeout);
    },
    [self, hdl](const caf::io::connection_closed_msg&) {
      finish(self, hdl, disconnect_reason::transport_error);
    },
  };
}

caf::behavior run_acceptor(caf::io::broker* self, caf::actor node, tcp_options options,
                           noise_keypair identity) {
  return {
    [self, node, options, identity](const caf::io::new_connection_msg& m) {
      // "host:port" of the remote: with the port its hello gives, where a full node of ours
      // may refer others to it (node_core_config::referrals).
      std::string from = self->remote_addr(m.handle);
      from = from.empty() ? std::string{"inbound"} : from + ":" + std::to_string(self->remote_port(m.handle));
      self->fork(run_connection, m.handle, node, std::move(from), options, identity,
                 noise_role::responder);
    },
    // Closing the listening socket ourselves: CAF 0.17 leaves a doorman open (and its
    // middleman waiting forever at shutdown) when an acceptor that forked is merely exited.
    [self](atoms::shutdown) {
      self->close_all();
      self->quit();
    },
  };
}

/// Dials `address` and starts its connection broker; tells the node if that fails.
void dial(caf::event_based_actor* self, caf::actor node, std::string address,
          tcp_options options, noise_keypair identity) {
  std::string host;
  uint16_t port = 0;
  bool ok = parse_address(address, host, port);
  if (ok) {
    auto broker = self->system().middleman().spawn_client(
      run_connection, host, port, node, address, options, identity,
      noise_role::initiator);
    ok = static_cast<bool>(broker);
  }
  if (!ok)
    self->send(node, atoms::disconnected::value, address,
               static_cast<uint16_t>(disconnect_reason::transport_error));
  self->quit();
}

class tcp_transport final : public transport {
public:
  explicit tcp_transport(const tcp_options& options) : options_(options) {}

  caf::expected<uint16_t> listen(caf::actor_system& sys, caf::actor node,
                                 const noise_keypair& identity, const std::string& host,
                                 uint16_t port) override {
    // As CAF's spawn_server, but bound to `host`: the doorman is attached inside the acceptor's
    // initialization, on its own thread.
    auto& mm = sys.middleman();
    auto doorman = mm.backend().new_tcp_doorman(port, host.empty() ? nullptr : host.c_str(), true);
    if (!doorman)
      return std::move(doorman.error());
    uint16_t bound = (*doorman)->port();
    auto ptr = std::move(*doorman);
    caf::detail::init_fun_factory<caf::io::broker, decltype(&run_acceptor)> factory;
    auto init = factory.make(&run_acceptor, node, options_, identity);
    init->hook([ptr = std::move(ptr)](caf::local_actor* self) mutable {
      static_cast<caf::io::abstract_broker*>(self)->add_doorman(std::move(ptr));
    });
    caf::actor_config cfg{&mm.backend()};
    cfg.init_fun.assign(init.release());
    caf::actor acceptor = sys.spawn_class<caf::io::broker, caf::no_spawn_options>(cfg);
    std::lock_guard<std::mutex> lock(mutex_);
    acceptors_.push_back(std::move(acceptor));
    return bound;
  }

  void shutdown() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const caf::actor& acceptor : acceptors_)
      caf::anon_send(acceptor, atoms::shutdown::value);
    acceptors_.clear();
  }

  void connect(caf::actor_system& sys, caf::actor node, const noise_keypair& identity,
               const std::string& address) override {
    // CAF's connect blocks, so it runs on a thread of its own, not in the node's turn. (The
    // values are spawn arguments, not captures: CAF 0.17 spawning a function actor without
    // arguments dereferences a null pointer, which UndefinedBehaviorSanitizer reports.)
    sys.spawn<caf::detached>(dial, node, address, options_, identity);
  }

private:
  tcp_options options_;
  std::mutex mutex_;
  std::vector<caf::actor> acceptors_;
};

} // namespace

std::shared_ptr<transport> make_tcp_transport(const tcp_options& options) {
  return std::make_shared<tcp_transport>(options);
}

} // namespace dynfeed
