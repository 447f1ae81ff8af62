#include "bench/replicate_bench.hpp"

#include "dynfeed/base/hex.hpp"
#include "dynfeed/base/random.hpp"
#include "dynfeed/core/feed_dir.hpp"
#include "dynfeed/dynfeed.hpp"
#include "dynfeed/tcp/tcp_process_config.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <signal.h>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dynfeed::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

/// Makes the feed to serve: `blocks` random blocks, appended in large batches.
public_key make_feed(const std::string& dir, const replicate_bench_options& o) {
  feed_options fo;
  fo.parallel_hashing = true;
  auto d = feed_dir::create(dir, crypto::generate_keypair(), {}, fo);
  if (!d)
    throw std::runtime_error("creating the feed: " + d.error().to_string());
  rng random{o.seed};
  std::vector<bytes> batch;
  for (uint64_t done = 0; done < o.blocks;) {
    batch.clear();
    for (uint64_t i = 0; i < 1000 && done < o.blocks; ++i, ++done) {
      bytes b(o.block_size);
      for (auto& x : b)
        x = static_cast<uint8_t>(random.next());
      batch.push_back(std::move(b));
    }
    auto len = (*d)->feed().append(std::vector<byte_span>(batch.begin(), batch.end()));
    if (!len)
      throw std::runtime_error("appending: " + len.error().to_string());
  }
  return (*d)->feed().key();
}

/// `dynfeed seed DIR` in a child process; returns its pid and "127.0.0.1:PORT".
std::pair<pid_t, std::string> start_seeder(const std::string& program, const std::string& dir) {
  int out[2];
  if (::pipe(out) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(program.c_str(), program.c_str(), "seed", dir.c_str(), "--listen", "127.0.0.1:0",
            "--quiet", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* f = ::fdopen(out[0], "r");
  char line[256];
  std::string address;
  while (std::fgets(line, sizeof(line), f)) {
    std::string s(line);
    if (s.rfind("listening on ", 0) == 0) {
      address = s.substr(13);
      address.erase(address.find_last_not_of("\n") + 1);
      break;
    }
  }
  std::fclose(f);
  if (address.empty())
    throw std::runtime_error("the seeding process did not start");
  return {pid, address};
}

} // namespace

nlohmann::json run_replicate_bench(const replicate_bench_options& o) {
  std::string tmp = (std::filesystem::temp_directory_path() / "dynfeed-replicate-XXXXXX").string();
  if (!::mkdtemp(tmp.data()))
    throw std::runtime_error("cannot create a temporary directory");
  public_key key = make_feed(tmp + "/writer", o);
  auto [pid, address] = start_seeder(o.program, tmp + "/writer");

  nlohmann::json out;
  {
    tcp_process_config cfg; // as the node of the command line
    caf::actor_system sys{cfg};
    node_config nc;
    nc.network = make_tcp_transport();
    nc.feeds.parallel_hashing = true;
    auto node = spawn_node(sys, nc);
    caf::scoped_actor self{sys};
    constexpr auto timeout = std::chrono::seconds{30};
    auto peer = parse_peer_address(address);
    if (!peer)
      throw std::runtime_error(describe(peer.error()));
    auto cloned = ask<feed_actor>(self, node, timeout, atoms::clone_feed::value, key,
                                  tmp + "/reader");
    if (!cloned)
      throw std::runtime_error(describe(cloned.error()));
    feed_actor feed = *cloned;
    self->send(feed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
    self->send(feed, atoms::download::value, uint64_t{0}, download_to_end, false);
    rusage before;
    ::getrusage(RUSAGE_SELF, &before);
    auto start = clock_type::now();
    auto joined = ask<bool>(self, node, timeout, atoms::join::value, feed,
                            std::vector<peer_address>{*peer}, feed_mode::stable);
    if (!joined)
      throw std::runtime_error(describe(joined.error()));
    double first_ms = -1;
    uint64_t held = 0;
    bool done = false;
    while (!done) {
      self->receive(
        [&](atoms::blocks, uint64_t, uint64_t count) {
          if (first_ms < 0)
            first_ms = ms_since(start);
          held += count;
        },
        [&](atoms::done) { done = true; }, [](atoms::length, uint64_t) {},
        [](atoms::peers, uint64_t) {},
        caf::after(std::chrono::seconds{60}) >> [&] {
          throw std::runtime_error("no progress for 60 s at " + std::to_string(held) + " blocks");
        });
    }
    double total_ms = ms_since(start);
    rusage after;
    ::getrusage(RUSAGE_SELF, &after);
    auto cpu_s = [](const rusage& r) {
      return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec)
             + static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };
    double bytes_total = static_cast<double>(o.blocks * o.block_size);
    out = {
      {"blocks", o.blocks},
      {"block_size", o.block_size},
      {"replicate_mb_per_s", bytes_total / (total_ms / 1000) / 1e6},
      {"replicate_blocks_per_s", static_cast<double>(o.blocks) / (total_ms / 1000)},
      {"first_block_ms", first_ms},
      {"total_ms", total_ms},
      {"reader_cpu_s", cpu_s(after) - cpu_s(before)},
    };
    self->send(node, atoms::shutdown::value);
    self->wait_for(node);
    sys.await_actors_before_shutdown(false);
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  rusage children;
  ::getrusage(RUSAGE_CHILDREN, &children);
  out["seeder_cpu_s"] = static_cast<double>(children.ru_utime.tv_sec + children.ru_stime.tv_sec)
                        + static_cast<double>(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
  std::filesystem::remove_all(tmp);
  return out;
}

} // namespace dynfeed::bench
