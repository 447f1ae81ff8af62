/// dynfeed seed | clone | follow: a node on TCP, serving or downloading one feed.

#include "apps/cli.hpp"

#include "actors/node.hpp"
#include "apps/control.hpp"
#include "base/hex.hpp"
#include "net/tcp.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace dynfeed::cli {

namespace {

struct node_args {
  std::string dir;
  std::string key;
  std::string listen = "127.0.0.1:0";
  std::vector<std::string> peers;
  std::string range;
  bool live = false;
  double timeout_s = 30;
  bool quiet_log = false;
};

std::atomic<bool> stop_requested{false};

/// SIGINT and SIGTERM are blocked in every thread (CAF's threads inherit the mask, so a signal
/// never interrupts the multiplexer) and collected by one thread of our own.
class stop_signals {
public:
  stop_signals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      int sig = 0;
      sigwait(&set_, &sig);
      stop_requested = true;
    });
  }
  ~stop_signals() {
    if (!stop_requested)
      pthread_kill(thread_.native_handle(), SIGTERM); // wakes sigwait
    thread_.join();
  }

private:
  sigset_t set_;
  std::thread thread_;
};

/// An actor system with the I/O layer, quiet logs and a node with TCP.
struct running_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  node_actor node;

  explicit running_node(bool quiet_log) {
    cfg.load<caf::io::middleman>();
    // Idle workers wait on a condition variable instead of polling: on a small machine,
    // polling workers take CPU from the work that matters (and from the other processes).
    cfg.set("scheduler.policy", caf::atom("sharing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    cfg.set("logger.console-verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    node_config nc;
    nc.network = make_tcp_transport();
    nc.feeds.parallel_hashing = true;
    if (!quiet_log)
      nc.log = [](const std::string& line) { std::cerr << "dynfeed: " + line + "\n"; };
    node = spawn_node(*sys, nc);
  }
  /// Stops the node, waits until every actor of it has terminated (so every store is closed),
  /// and ends the process with `code`. It does not wait for the actor system to come down:
  /// CAF 0.17's I/O layer closes sockets gracefully and waits, while stopping, until each
  /// remote closes its side too, which a remote need not ever do.
  [[noreturn]] void finish(int code) {
    {
      caf::scoped_actor self{*sys};
      self->send(node, atoms::shutdown::value);
      self->wait_for(node);
    }
    std::cout.flush();
    std::fflush(nullptr);
    std::_Exit(code);
  }

  /// Sends `xs` to the node and waits for its answer of type T.
  template <class T, class... Ts>
  expected<T> ask(Ts&&... xs) {
    caf::scoped_actor self{*sys};
    std::optional<T> out;
    std::string failure;
    self->request(node, std::chrono::seconds{30}, std::forward<Ts>(xs)...)
      .receive([&](T& value) { out = std::move(value); },
               [&](caf::error& err) { failure = sys->render(err); });
    if (!out)
      return error{base_errc::io_error, failure};
    return std::move(*out);
  }
};

/// "A-B" (inclusive) or "A-" into [start, end).
bool parse_range(const std::string& text, uint64_t& start, uint64_t& end, std::string& message) {
  auto dash = text.find('-');
  if (dash == std::string::npos) {
    message = "--range must be A-B or A-, got '" + text + "'";
    return false;
  }
  auto a = parse_u64(text.substr(0, dash), "--range start", message);
  if (!a)
    return false;
  start = *a;
  if (dash + 1 == text.size()) {
    end = download_to_end;
    return true;
  }
  auto b = parse_u64(text.substr(dash + 1), "--range end", message);
  if (!b)
    return false;
  if (*b < *a) {
    message = "--range end is before its start";
    return false;
  }
  end = *b + 1;
  return true;
}

/// Shows blocks, MB/s and ETA on a terminal; prints nothing otherwise.
class progress_line {
public:
  progress_line() : tty_(::isatty(STDERR_FILENO) == 1), start_(clock::now()) {}
  void update(uint64_t held, uint64_t total, uint64_t bytes) {
    if (!tty_ || clock::now() - last_ < std::chrono::milliseconds{200})
      return;
    last_ = clock::now();
    double s = std::chrono::duration<double>(last_ - start_).count();
    double mbps = s > 0 ? static_cast<double>(bytes) / s / 1e6 : 0;
    double rate = s > 0 ? static_cast<double>(held) / s : 0;
    double eta = rate > 0 && total > held ? static_cast<double>(total - held) / rate : 0;
    std::fprintf(stderr, "\r%llu/%llu blocks  %.1f MB/s  ETA %.0f s   ",
                 static_cast<unsigned long long>(held), static_cast<unsigned long long>(total),
                 mbps, eta);
  }
  void finish() {
    if (tty_)
      std::fputc('\n', stderr);
  }

private:
  using clock = std::chrono::steady_clock;
  bool tty_;
  clock::time_point start_;
  clock::time_point last_{};
};

int seed(const node_args& a) {
  std::string host;
  uint16_t port = 0;
  if (!parse_address(a.listen, host, port))
    return report("--listen must be HOST:PORT, got '" + a.listen + "'", exit_usage);
  stop_signals signals;
  running_node n{a.quiet_log};
  auto feed = n.ask<feed_actor>(atoms::open_feed::value, a.dir);
  if (!feed)
    n.finish(report(feed.error().context()));
  auto bound = n.ask<uint16_t>(atoms::listen::value, host, port);
  if (!bound)
    n.finish(report("cannot listen on " + a.listen + ": " + bound.error().context()));
  caf::scoped_actor self{*n.sys};
  feed_info info;
  self->request(*feed, std::chrono::seconds{10}, atoms::info::value)
    .receive([&](feed_info& i) { info = i; }, [&](caf::error&) {});
  feed_actor target = *feed;
  caf::actor_system* sys = n.sys.get();
  auto control = control_server::start(a.dir, append_limits{}, [sys, target](std::vector<bytes> blocks) -> expected<uint64_t> {
    caf::scoped_actor asker{*sys};
    expected<uint64_t> out = error{base_errc::io_error, "no answer"};
    asker->request(target, std::chrono::seconds{60}, atoms::append::value, std::move(blocks))
      .receive([&](uint64_t length) { out = length; },
               [&](caf::error& err) { out = error{base_errc::io_error, sys->render(err)}; });
    return out;
  });
  if (!control)
    n.finish(report(control.error()));
  std::cout << to_hex(info.key) << '\n'
            << "listening on " << host << ':' << *bound << '\n'
            << std::flush;
  while (!stop_requested)
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  control->reset(); // no more appends from other processes
  n.finish(exit_ok);
}

/// Downloads (and with `print`, writes each block to stdout in order, one per line).
int fetch(const node_args& a, bool print) {
  std::string message;
  uint64_t start = 0;
  uint64_t end = download_to_end;
  if (!a.range.empty() && !parse_range(a.range, start, end, message))
    return report(message, exit_usage);
  if (!fixed_from_hex<public_key>(a.key))
    return report("PUBKEY must be 64 hex digits, got '" + a.key + "'", exit_usage);
  for (const std::string& p : a.peers) {
    std::string host;
    uint16_t port = 0;
    if (!parse_address(p, host, port))
      return report("--peer must be HOST:PORT, got '" + p + "'", exit_usage);
  }
  stop_signals signals;
  running_node n{a.quiet_log};
  auto feed = n.ask<feed_actor>(atoms::clone_feed::value, a.key, a.dir);
  if (!feed)
    n.finish(report(feed.error().context()));
  caf::scoped_actor self{*n.sys};
  self->send(*feed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  bool live = a.live || print;
  self->send(*feed, atoms::download::value, start, end, live);
  if (!n.ask<bool>(atoms::join::value, *feed, a.peers))
    n.finish(report("cannot join the swarm"));

  progress_line progress;
  uint64_t held = 0;
  uint64_t length = 0;
  uint64_t bytes_in = 0;
  uint64_t next_print = start;
  bitfield arrived;
  bool done = false;
  auto last_progress = std::chrono::steady_clock::now();
  auto idle_max = std::chrono::duration<double>(a.timeout_s);
  while (!done && !stop_requested) {
    self->receive(
      [&](atoms::length, uint64_t l) { length = l; },
      [&](atoms::blocks, uint64_t first, uint64_t count) {
        held += count;
        arrived.set_range(first, first + count, true);
        last_progress = std::chrono::steady_clock::now();
        while (print && arrived.get(next_print)) {
          caf::scoped_actor getter{*n.sys};
          getter->request(*feed, std::chrono::seconds{10}, atoms::get::value, next_print)
            .receive(
              [&](bytes& block) {
                bytes_in += block.size();
                std::cout.write(reinterpret_cast<const char*>(block.data()),
                                static_cast<std::streamsize>(block.size()));
                std::cout << '\n' << std::flush;
              },
              [&](caf::error&) {});
          ++next_print;
        }
      },
      [&](atoms::done) { done = !live; },
      [&](atoms::peers, uint64_t) {},
      caf::after(std::chrono::milliseconds{200}) >> [] {});
    uint64_t total = end == download_to_end ? length : std::min(end, length) - std::min(start, length);
    progress.update(held, total, bytes_in);
    if (!live && std::chrono::steady_clock::now() - last_progress > idle_max) {
      progress.finish();
      n.finish(report("no progress for " + std::to_string(static_cast<int>(a.timeout_s))
                      + " s: no peer answered"));
    }
  }
  progress.finish();
  n.finish(exit_ok);
}

} // namespace

void add_node_commands(CLI::App& app, command& run) {
  auto args = std::make_shared<node_args>();

  auto* s = app.add_subcommand("seed", "serve a feed to peers (appends made while it runs too)");
  s->add_option("DIR", args->dir, "feed directory")->required();
  s->add_option("--listen", args->listen, "HOST:PORT to accept connections on")
    ->capture_default_str();
  s->add_flag("--quiet", args->quiet_log, "do not log connection events");
  s->callback([&run, args] { run = [args] { return seed(*args); }; });

  auto* c = app.add_subcommand("clone", "download a feed (all blocks, or a range) and verify it");
  c->add_option("PUBKEY", args->key, "the feed's public key (hex)")->required();
  c->add_option("DIR", args->dir, "directory for the copy")->required();
  c->add_option("--peer", args->peers, "HOST:PORT of a peer to download from")->required();
  c->add_option("--range", args->range, "blocks A-B (inclusive) or A- only");
  c->add_flag("--live", args->live, "keep following new blocks after the download");
  c->add_option("--timeout", args->timeout_s, "give up after this many seconds without progress")
    ->capture_default_str();
  c->add_flag("--quiet", args->quiet_log, "do not log connection events");
  c->callback([&run, args] { run = [args] { return fetch(*args, false); }; });

  auto* f = app.add_subcommand("follow", "print a feed's blocks as they arrive, one per line");
  f->add_option("PUBKEY", args->key, "the feed's public key (hex)")->required();
  f->add_option("DIR", args->dir, "directory for the copy")->required();
  f->add_option("--peer", args->peers, "HOST:PORT of a peer to follow")->required();
  f->add_flag("--quiet", args->quiet_log, "do not log connection events");
  f->callback([&run, args] { run = [args] { return fetch(*args, true); }; });
}

} // namespace dynfeed::cli
