#pragma once

/// The scenario's "hostile" object (docs/simulator.md, "Hostile nodes"), read and written.

#include "dynfeed/feed/feed_mode.hpp"
#include "dynfeed/sim/hostile_config.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace dynfeed::sim {

struct hostile_book;

/// Reads `j` into `out`; the first problem, naming the field ("scenario.hostile.share must be
/// between 0 and 0.5"), or an empty string.
std::string parse_hostile(const nlohmann::json& j, hostile_config& out);
/// The kinds a scenario's feed cannot meet, refused by name: the value kinds push ID
/// announcements on the relay ID channel, so they need a rotating mode with relay; the DHT
/// kinds speak to the readers' DHT nodes, so they need discovery "dht".
std::string check_hostile(const hostile_config& c, feed_mode mode, id_channels channels,
                          bool dht = false);
/// Every field, as parse_hostile reads it back.
nlohmann::json hostile_to_json(const hostile_config& c);
/// summary.json's "hostile": per kind present, {nodes, connections, acts, rejected, unanswered, open}.
nlohmann::json hostile_summary_json(const hostile_book& book,
                                    const std::array<uint32_t, hostile_kind_count>& nodes);

} // namespace dynfeed::sim
