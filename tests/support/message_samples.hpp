#pragma once

/// Messages of every kind with edge values, and a field-by-field comparison, for codec tests.

#include "dynfeed/messages/codec.hpp"
#include "dynfeed/messages/messages.hpp"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace dynfeed::test {

inline constexpr uint64_t u64_max = std::numeric_limits<uint64_t>::max();
inline constexpr uint32_t u32_max = std::numeric_limits<uint32_t>::max();
inline constexpr uint16_t u16_max = std::numeric_limits<uint16_t>::max();

template <class Fixed>
Fixed patterned(uint8_t seed) {
  Fixed out;
  for (size_t i = 0; i < Fixed::size(); ++i)
    out.bytes[i] = static_cast<uint8_t>(seed + 37 * i);
  return out;
}

inline std::vector<tree_node> sample_nodes(size_t count, uint64_t first) {
  std::vector<tree_node> out;
  for (size_t i = 0; i < count; ++i)
    out.push_back(
      tree_node{first + i, first * 1000 + i, patterned<hash256>(static_cast<uint8_t>(i))});
  if (!out.empty())
    out.back().index = out.back().size = u64_max;
  return out;
}

/// `count` values of sizes 0, 1, 2, ... up to `size_max`, then again from 0.
inline std::vector<bytes> sample_values(size_t count, size_t size_max) {
  std::vector<bytes> out;
  for (size_t i = 0; i < count; ++i)
    out.emplace_back(i % (size_max + 1), static_cast<uint8_t>(i));
  return out;
}

inline msg::data data_frame(size_t values, size_t value_size, size_t nodes) {
  msg::data m;
  m.channel = 3;
  m.id = 77;
  m.body.fork = 1;
  block_proof block;
  block.index = 1024;
  block.values.assign(values, bytes(value_size, 0x5a));
  block.nodes = sample_nodes(nodes, 2047);
  m.body.block = std::move(block);
  return m;
}

inline upgrade_proof sample_upgrade(size_t nodes, size_t additional) {
  upgrade_proof up;
  up.start = 5;
  up.length = u64_max;
  up.nodes = sample_nodes(nodes, 40);
  up.additional_nodes = sample_nodes(additional, 90);
  up.signed_length = u64_max - 1;
  up.sig = patterned<signature>(9);
  return up;
}

/// Every kind, each with zero values and with extreme ones (max integers, empty and maximal
/// lists at the default limits, zero-length values, texts at the maximum size).
inline std::vector<msg::wire_message> sample_messages() {
  const msg::codec_limits limits;
  std::string long_text(limits.text_size_max, 'a');
  long_text[3] = '\0'; // Cap'n Proto text may hold NUL bytes; it adds its own terminator
  long_text[4] = static_cast<char>(0xff);
  std::vector<msg::wire_message> out{
    msg::hello{},
    msg::hello{u16_max, u32_max, long_text, u16_max},
    msg::hello{1, 4 << 20, "dynfeed/0.1", 7000},
    msg::bye{},
    msg::bye{u16_max, long_text, {}},
    msg::bye{11, "node full", {"10.0.0.1:7000", "255.255.255.255:65535", "1.2.3.4:1"}},
    msg::open_channel{},
    msg::open_channel{u32_max, patterned<hash256>(1), patterned<hash256>(2)},
    msg::close_channel{},
    msg::close_channel{u32_max},
    msg::sync{},
    msg::sync{u32_max, u64_max, u64_max, true},
    msg::range{},
    msg::range{u32_max, u64_max, u64_max, true},
    msg::request{},
    msg::no_data{},
    msg::no_data{u32_max, u64_max, u16_max},
    msg::cancel{},
    msg::cancel{u32_max, u64_max},
    msg::data{},
    msg::value_push{},
    msg::equivocation{},
  };
  msg::equivocation full_proof{u32_max, {}};
  full_proof.proof.key = patterned<public_key>(3);
  full_proof.proof.index = u64_max;
  for (size_t k = 0; k < 2; ++k) {
    full_proof.proof.trees[k] = signed_tree{u64_max, u64_max, sample_nodes(proof_depth_max + 1, k),
                                            patterned<signature>(k)};
    full_proof.proof.paths[k] = sample_nodes(proof_depth_max + 1, 7 + k);
  }
  out.push_back(full_proof);
  msg::value_push full_value{u32_max, {}};
  full_value.value.seq = u64_max;
  full_value.value.value = bytes(limits.signed_value_size_max, 0x5a);
  for (uint32_t i = 0; i < limits.value_signatures_max; ++i)
    full_value.value.sigs.push_back(value_signature{u32_max - i, patterned<signature>(i)});
  out.push_back(full_value);
  out.push_back(msg::id_push{});
  out.push_back(msg::id_push{full_value.channel, full_value.value});
  msg::request both{u32_max, u64_max, {}};
  both.body.fork = u64_max;
  both.body.block = block_request{u64_max, u64_max, u64_max};
  both.body.upgrade = upgrade_request{u64_max, u64_max};
  out.push_back(both);
  msg::request block_only{1, 2, {}};
  block_only.body.block = block_request{};
  out.push_back(block_only);
  msg::request upgrade_only{1, 2, {}};
  upgrade_only.body.upgrade = upgrade_request{};
  out.push_back(upgrade_only);

  msg::data empty_parts{7, 8, {}};
  empty_parts.body.block = block_proof{};
  empty_parts.body.upgrade = upgrade_proof{};
  out.push_back(empty_parts);
  msg::data zero_values = data_frame(5, 0, 0);
  out.push_back(zero_values);
  msg::data maximal{u32_max, u64_max, {}};
  maximal.body.fork = u64_max;
  maximal.body.block = block_proof{u64_max, sample_values(limits.values_max, 17),
                                   sample_nodes(limits.proof_nodes_max, 0)};
  maximal.body.upgrade =
    sample_upgrade(limits.proof_nodes_max, limits.proof_nodes_max);
  out.push_back(maximal);
  msg::data upgrade_only_data{1, 1, {}};
  upgrade_only_data.body.upgrade = sample_upgrade(3, 0);
  out.push_back(upgrade_only_data);
  out.push_back(data_frame(64, 1024, 10));
  return out;
}

// ---- comparison ---------------------------------------------------------------------------

inline bool same(const block_request& a, const block_request& b) {
  return a.index == b.index && a.nodes == b.nodes && a.count == b.count;
}
inline bool same(const upgrade_request& a, const upgrade_request& b) {
  return a.start == b.start && a.length == b.length;
}
inline bool same(const block_proof& a, const block_proof& b) {
  return a.index == b.index && a.values == b.values && a.nodes == b.nodes;
}
inline bool same(const upgrade_proof& a, const upgrade_proof& b) {
  return a.start == b.start && a.length == b.length && a.nodes == b.nodes
         && a.additional_nodes == b.additional_nodes && a.signed_length == b.signed_length
         && a.sig == b.sig;
}

/// Declared after the overloads it calls: they are found at its definition.
template <class T>
bool same_optional(const std::optional<T>& a, const std::optional<T>& b) {
  return a.has_value() == b.has_value() && (!a || same(*a, *b));
}

inline bool same(const proof_request& a, const proof_request& b) {
  return a.fork == b.fork && same_optional(a.block, b.block) && same_optional(a.upgrade, b.upgrade);
}
inline bool same(const proof& a, const proof& b) {
  return a.fork == b.fork && same_optional(a.block, b.block) && same_optional(a.upgrade, b.upgrade);
}

inline bool same(const msg::hello& a, const msg::hello& b) {
  return a.version == b.version && a.frame_size_max == b.frame_size_max
         && a.user_agent == b.user_agent && a.listen_port == b.listen_port;
}
inline bool same(const msg::bye& a, const msg::bye& b) {
  return a.code == b.code && a.reason == b.reason && a.referrals == b.referrals;
}
inline bool same(const msg::open_channel& a, const msg::open_channel& b) {
  return a.channel == b.channel && a.discovery_key == b.discovery_key
         && a.capability == b.capability;
}
inline bool same(const msg::close_channel& a, const msg::close_channel& b) {
  return a.channel == b.channel;
}
inline bool same(const msg::sync& a, const msg::sync& b) {
  return a.channel == b.channel && a.fork == b.fork && a.length == b.length &&
         a.holds_id == b.holds_id;
}
inline bool same(const msg::range& a, const msg::range& b) {
  return a.channel == b.channel && a.start == b.start && a.length == b.length && a.drop == b.drop;
}
inline bool same(const msg::request& a, const msg::request& b) {
  return a.channel == b.channel && a.id == b.id && same(a.body, b.body);
}
inline bool same(const msg::data& a, const msg::data& b) {
  return a.channel == b.channel && a.id == b.id && same(a.body, b.body);
}
inline bool same(const msg::no_data& a, const msg::no_data& b) {
  return a.channel == b.channel && a.id == b.id && a.reason == b.reason;
}
inline bool same(const msg::cancel& a, const msg::cancel& b) {
  return a.channel == b.channel && a.id == b.id;
}

inline bool same(const msg::value_push& a, const msg::value_push& b) {
  if (a.channel != b.channel || a.value.seq != b.value.seq || a.value.value != b.value.value
      || a.value.sigs.size() != b.value.sigs.size())
    return false;
  for (size_t i = 0; i < a.value.sigs.size(); ++i)
    if (a.value.sigs[i].signer != b.value.sigs[i].signer || a.value.sigs[i].sig != b.value.sigs[i].sig)
      return false;
  return true;
}

inline bool same(const msg::id_push& a, const msg::id_push& b) {
  return same(msg::value_push{a.channel, a.value}, msg::value_push{b.channel, b.value});
}

inline bool same(const msg::equivocation& a, const msg::equivocation& b) {
  return a.channel == b.channel && a.proof == b.proof;
}

inline bool same(const msg::wire_message& a, const msg::wire_message& b) {
  if (a.index() != b.index())
    return false;
  return std::visit(
    [&](const auto& x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
}

} // namespace dynfeed::test
