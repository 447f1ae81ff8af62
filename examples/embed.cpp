/// Embedding dynfeed: two nodes in your own CAF actor system; one writes a feed, the other
/// clones it, verifying every block.
///   embed          the nodes link in-process (a memory_network, address "mem:writer")
///   embed --tcp    the reader dials the writer over TCP with Noise on 127.0.0.1
/// Built against the installed package by CMakeLists.txt beside this file.

#include "dynfeed/actors/node.hpp"
#include "dynfeed/base/hex.hpp"
#include "dynfeed/tcp/tcp.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace dynfeed;
namespace fs = std::filesystem;

namespace {

constexpr auto timeout = std::chrono::seconds{10};

/// Sends `xs` to `to` and waits for its answer of type T; throws if an error or nothing comes.
template <class T, class Handle, class... Ts>
T ask(caf::scoped_actor& self, const Handle& to, Ts&&... xs) {
  std::optional<T> out;
  std::string failure = "no answer";
  self->request(to, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& value) { out = std::move(value); },
             [&](caf::error& err) { failure = self->system().render(err); });
  if (!out)
    throw std::runtime_error(failure);
  return std::move(*out);
}

/// Appends a few blocks on `writer`, clones the feed on `reader` and prints what arrived.
void replicate(caf::scoped_actor& self, const node_actor& writer, const node_actor& reader,
               const fs::path& dir, bool tcp) {
  // The writer: a new feed with a random key pair ("" seed), three blocks in one signed append.
  auto wfeed = ask<feed_actor>(self, writer, atoms::create_feed::value,
                               (dir / "writer").string(), std::string{});
  std::vector<bytes> blocks;
  for (std::string text : {"hello", "from", "dynfeed"})
    blocks.emplace_back(text.begin(), text.end());
  uint64_t length = ask<uint64_t>(self, wfeed, atoms::append::value, blocks);
  feed_info info = ask<feed_info>(self, wfeed, atoms::info::value);

  std::string address = "mem:writer";
  if (tcp) { // port 0: any free port; the node answers with the one it bound
    uint16_t port = ask<uint16_t>(self, writer, atoms::listen::value, std::string{"127.0.0.1"},
                                  uint16_t{0});
    address = "127.0.0.1:" + std::to_string(port);
  }

  // The reader knows only the public key. We subscribe to its events, ask it to download
  // everything the first peer has, and join a swarm that connects it to the writer.
  auto rfeed = ask<feed_actor>(self, reader, atoms::clone_feed::value, to_hex(info.key),
                               (dir / "reader").string());
  self->send(rfeed, atoms::subscribe::value, caf::actor_cast<caf::actor>(self));
  self->send(rfeed, atoms::download::value, uint64_t{0}, download_to_end, false);
  ask<bool>(self, reader, atoms::join::value, rfeed, std::vector<std::string>{address},
            std::string{"stable"});

  uint64_t held = 0;
  bool over = false; // the download finished, or nothing happened for `timeout`
  while (held < length && !over) {
    self->receive(
      [&](atoms::blocks, uint64_t /*first*/, uint64_t count) { held += count; }, // verified
      [&](atoms::done) { over = true; },
      [&](atoms::length, uint64_t) {},
      [&](atoms::peers, uint64_t) {},
      caf::after(timeout) >> [&] { over = true; });
  }
  if (held < length)
    throw std::runtime_error("the reader got " + std::to_string(held) + " of "
                             + std::to_string(length) + " blocks from " + address);

  std::cout << "cloned " << to_hex(info.key) << " from " << address << ":\n";
  for (uint64_t i = 0; i < length; ++i) {
    bytes block = ask<bytes>(self, rfeed, atoms::get::value, i);
    std::cout << "  " << i << ": " << std::string(block.begin(), block.end()) << '\n';
  }
}

} // namespace

int main(int argc, char** argv) {
  bool tcp = argc == 2 && std::string{argv[1]} == "--tcp";
  if (argc > 2 || (argc == 2 && !tcp)) {
    std::cerr << "usage: embed [--tcp]\n";
    return 2;
  }
  std::string dir = (fs::temp_directory_path() / "dynfeed-embed-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::cerr << "embed: cannot create a directory in " << fs::temp_directory_path() << '\n';
    return 1;
  }

  caf::actor_system_config cfg;
  cfg.load<caf::io::middleman>(); // CAF's network layer: needed for TCP
  caf::actor_system sys{cfg};

  // In-process links find nodes by name in a shared memory_network; TCP needs a transport.
  auto memory = std::make_shared<memory_network>();
  auto config = [&](const std::string& name) {
    node_config nc;
    if (tcp) {
      nc.network = make_tcp_transport();
    } else {
      nc.memory = memory;
      nc.memory_name = name;
    }
    // Why connections ended (shutting down ends them too); called on any actor's thread.
    nc.log = [](const std::string& line) { std::cerr << "dynfeed: " + line + '\n'; };
    return nc;
  };
  node_actor writer = spawn_node(sys, config("writer"));
  node_actor reader = spawn_node(sys, config("reader"));

  int status = 0;
  {
    caf::scoped_actor self{sys};
    try {
      replicate(self, writer, reader, dir, tcp);
    } catch (const std::exception& e) {
      std::cerr << "embed: " << e.what() << '\n';
      status = 1;
    }
    // Stops every feed (closing its store), swarm and peer of each node.
    self->send(writer, atoms::shutdown::value);
    self->send(reader, atoms::shutdown::value);
    self->wait_for(writer, reader);
  }
  fs::remove_all(dir);
  return status;
}
