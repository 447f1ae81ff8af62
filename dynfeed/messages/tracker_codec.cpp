#include "dynfeed/messages/tracker_codec.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/messages/capnp_sizes.hpp"
#include "dynfeed/messages/tracker.capnp.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string_view>

namespace dynfeed::msg::tracker {

const char* to_string(error_code code) noexcept {
  switch (code) {
    case error_code::invalid_request:
      return "invalid request";
    case error_code::bad_token:
      return "bad token";
    case error_code::storage_full:
      return "storage full";
  }
  return "unknown error code";
}

namespace {

using namespace capnp_sizes;

using tracker_wire::TrackerPacket;

/// Words Cap'n Proto may read per word of datagram: an honest packet reads about its own size
/// once; shared pointer targets cannot make a small datagram decode into a large packet.
constexpr uint64_t traversal_per_word_max = 2;
/// How much of a Cap'n Proto exception's description goes into an error's context.
constexpr size_t exception_context_size_max = 200;

// ---- sizes: mirror what the builders below allocate ---------------------------------------

size_t body_words(const lookup&) {
  return struct_words<tracker_wire::Lookup> + blob_words(hash256::size());
}
size_t body_words(const lookup_reply& m) {
  DYNFEED_REQUIRE(m.peers.size() <= capnp_count_max);
  size_t words = struct_words<tracker_wire::LookupReply> + blob_words(m.token.size());
  if (!m.peers.empty()) // a struct list starts with one tag word
    words += 1 + m.peers.size() * struct_words<tracker_wire::Peer>;
  return words;
}
size_t body_words(const announce& m) {
  return struct_words<tracker_wire::Announce> + blob_words(hash256::size())
         + blob_words(m.token.size());
}
size_t body_words(const announce_reply&) {
  return struct_words<tracker_wire::AnnounceReply>;
}
size_t body_words(const error_reply& m) {
  return struct_words<tracker_wire::Error> + text_words(m.message);
}

/// Words of the single segment: the root pointer, the packet and its body.
size_t segment_words(const packet& p) {
  size_t words = 1 + struct_words<TrackerPacket>
                 + std::visit([](const auto& b) { return body_words(b); }, p.what);
  DYNFEED_REQUIRE(words <= capnp_count_max);
  return words;
}

// ---- encoding -----------------------------------------------------------------------------

void put(const lookup& m, TrackerPacket::Builder out) {
  auto body = out.initLookup();
  body.setTopic(blob(m.topic));
  body.setPort(m.port);
}
void put(const lookup_reply& m, TrackerPacket::Builder out) {
  auto body = out.initLookupReply();
  if (!m.peers.empty()) {
    auto list = body.initPeers(static_cast<unsigned>(m.peers.size()));
    for (unsigned i = 0; i < m.peers.size(); ++i) {
      list[i].setIp(m.peers[i].ip);
      list[i].setPort(m.peers[i].port);
    }
  }
  if (!m.token.empty())
    body.setToken(blob(m.token));
  body.setObservedIp(m.observed_ip);
}
void put(const announce& m, TrackerPacket::Builder out) {
  auto body = out.initAnnounce();
  body.setTopic(blob(m.topic));
  body.setPort(m.port);
  if (!m.token.empty())
    body.setToken(blob(m.token));
}
void put(const announce_reply&, TrackerPacket::Builder out) {
  out.initAnnounceReply();
}
void put(const error_reply& m, TrackerPacket::Builder out) {
  auto body = out.initError();
  body.setCode(m.code);
  if (!m.message.empty())
    body.setMessage(capnp::Text::Reader(m.message.data(), m.message.size()));
}

// ---- decoding -----------------------------------------------------------------------------

status get_topic(capnp::Data::Reader in, hash256& out) {
  if (in.size() != hash256::size())
    return error{msg_errc::wrong_size, "topic: " + str(in.size()) + " bytes, not 32"};
  std::memcpy(out.data(), in.begin(), hash256::size());
  return {};
}

status get_token(capnp::Data::Reader in, const limits& lim, bytes& out) {
  if (auto st = check_limit("token", in.size(), lim.token_size_max); !st)
    return st;
  out.assign(in.begin(), in.end());
  return {};
}

status get_body(tracker_wire::Lookup::Reader in, const limits&, lookup& out) {
  out.port = in.getPort();
  return get_topic(in.getTopic(), out.topic);
}
status get_body(tracker_wire::LookupReply::Reader in, const limits& lim, lookup_reply& out) {
  out.observed_ip = in.getObservedIp();
  auto peers = in.getPeers();
  if (auto st = check_limit("peers", peers.size(), lim.peers_max); !st)
    return st;
  out.peers.resize(peers.size());
  for (unsigned i = 0; i < peers.size(); ++i)
    out.peers[i] = endpoint{peers[i].getIp(), peers[i].getPort()};
  return get_token(in.getToken(), lim, out.token);
}
status get_body(tracker_wire::Announce::Reader in, const limits& lim, announce& out) {
  out.port = in.getPort();
  if (auto st = get_topic(in.getTopic(), out.topic); !st)
    return st;
  return get_token(in.getToken(), lim, out.token);
}
status get_body(tracker_wire::AnnounceReply::Reader, const limits&, announce_reply&) {
  return {};
}
status get_body(tracker_wire::Error::Reader in, const limits& lim, error_reply& out) {
  out.code = in.getCode();
  auto text = in.getMessage();
  if (auto st = check_limit("error message", text.size(), lim.text_size_max); !st)
    return st;
  out.message.assign(text.begin(), text.size());
  return {};
}

template <class T, class Reader>
expected<packet> make(uint64_t transaction, Reader in, const limits& lim) {
  packet out{transaction, T{}};
  if (auto st = get_body(in, lim, std::get<T>(out.what)); !st)
    return std::move(st).error();
  return out;
}

expected<packet> get_packet(TrackerPacket::Reader in, const limits& lim) {
  uint64_t t = in.getTransaction();
  switch (in.which()) {
    case TrackerPacket::INVALID:
      return error{msg_errc::malformed, "no packet"};
    case TrackerPacket::LOOKUP:
      return make<lookup>(t, in.getLookup(), lim);
    case TrackerPacket::LOOKUP_REPLY:
      return make<lookup_reply>(t, in.getLookupReply(), lim);
    case TrackerPacket::ANNOUNCE:
      return make<announce>(t, in.getAnnounce(), lim);
    case TrackerPacket::ANNOUNCE_REPLY:
      return make<announce_reply>(t, in.getAnnounceReply(), lim);
    case TrackerPacket::ERROR:
      return make<error_reply>(t, in.getError(), lim);
  }
  // A member appended by a newer build.
  return error{msg_errc::unknown_kind, "TrackerPacket member " + str(static_cast<uint16_t>(in.which()))};
}

/// Checks the segment table against the datagram, cheapest first, before Cap'n Proto reads
/// it. Returns the datagram's size in words.
expected<size_t> check_framing(byte_span in, const limits& lim) {
  if (in.size() > lim.size_max)
    return error{msg_errc::too_large, str(in.size()) + " bytes > " + str(lim.size_max)};
  if (in.size() < word_size)
    return error{msg_errc::truncated, str(in.size()) + " bytes"};
  auto table = segment_table_words(in, lim.segment_count_max);
  if (!table)
    return std::move(table).error();
  uint64_t words = *table;
  if (in.size() > words * word_size)
    return error{msg_errc::malformed, str(in.size() - words * word_size) + " bytes after the packet"};
  return static_cast<size_t>(words);
}

} // namespace

size_t encoded_size(const packet& p) {
  return word_size * (1 + segment_words(p)); // the segment table takes one word
}

bytes encode(const packet& p) {
  bytes out;
  encode(p, out);
  return out;
}

void encode(const packet& p, bytes& out) {
  size_t words = segment_words(p);
  out.clear();
  out.resize(word_size * (1 + words)); // zeroed, as a Cap'n Proto segment must be
  uint8_t* segment = out.data() + word_size;
  DYNFEED_ASSERT(reinterpret_cast<uintptr_t>(segment) % word_size == 0);
  {
    span_builder builder{kj::arrayPtr(reinterpret_cast<capnp::word*>(segment), words)};
    auto root = builder.initRoot<TrackerPacket>();
    root.setTransaction(p.transaction);
    std::visit([&](const auto& b) { put(b, root); }, p.what);
    auto segments = builder.getSegmentsForOutput();
    DYNFEED_ASSERT(segments.size() == 1 && segments[0].size() == words);
  }
  // Segment table: (segment count - 1) = 0, then the one segment's size in words.
  for (int i = 0; i < 4; ++i)
    out[4 + i] = static_cast<uint8_t>(words >> (8 * i));
}

expected<packet> decode(byte_span datagram, const limits& lim) {
  auto words = check_framing(datagram, lim);
  if (!words)
    return std::move(words).error();
  aligned_words aligned{datagram, *words};
  capnp::ReaderOptions options;
  options.traversalLimitInWords = traversal_per_word_max * *words;
  options.nestingLimit = static_cast<int>(std::min<uint64_t>(lim.nesting_depth_max, INT_MAX));
  try {
    capnp::FlatArrayMessageReader reader{aligned.get(), options};
    return get_packet(reader.getRoot<TrackerPacket>(), lim);
  } catch (const kj::Exception& e) {
    return capnp_error(e, exception_context_size_max);
  }
}

} // namespace dynfeed::msg::tracker
