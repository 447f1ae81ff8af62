#pragma once

#include <dynfeed/actors/process_config.hpp>

#include <caf/io/middleman.hpp>

namespace dynfeed {

/// process_config with CAF's I/O layer (the middleman) loaded: what a node on TCP needs.
class tcp_process_config : public process_config {
public:
  tcp_process_config() { load<caf::io::middleman>(); }
};

} // namespace dynfeed
