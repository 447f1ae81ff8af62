#include "dynfeed/messages/codec.hpp"

#include "dynfeed/base/assert.hpp"
#include "dynfeed/base/endpoint.hpp"
#include "dynfeed/messages/capnp_sizes.hpp"
#include "dynfeed/messages/limits.hpp"
#include "dynfeed/messages/wire.capnp.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace dynfeed::msg {

namespace {

using namespace capnp_sizes;

// ---- sizes --------------------------------------------------------------------------------
//
// encoded_size() mirrors what the builders below allocate, so that encode() can build the
// message straight into its output. An empty list, text or optional part is left as a null
// pointer (which decodes the same) and takes no space.

size_t nodes_words(const std::vector<tree_node>& nodes) {
  DYNFEED_REQUIRE(nodes.size() <= capnp_count_max);
  if (nodes.empty())
    return 0;
  // A struct list starts with one tag word; each node holds its 32-byte hash.
  return 1 + nodes.size() * (struct_words<wire::TreeNode> + blob_words(hash256::size()));
}

size_t values_words(const std::vector<bytes>& values) {
  DYNFEED_REQUIRE(values.size() <= capnp_count_max);
  size_t words = values.size(); // one pointer each
  for (const bytes& v : values)
    words += blob_words(v.size());
  return words;
}

size_t body_words(const proof_request& r) {
  return struct_words<wire::ProofRequest> + (r.block ? struct_words<wire::BlockRequest> : 0)
         + (r.upgrade ? struct_words<wire::UpgradeRequest> : 0);
}

size_t body_words(const proof& p) {
  size_t words = struct_words<wire::Proof>;
  if (p.block)
    words += struct_words<wire::BlockProof> + values_words(p.block->values)
             + nodes_words(p.block->nodes);
  if (p.upgrade)
    words += struct_words<wire::UpgradeProof> + nodes_words(p.upgrade->nodes)
             + nodes_words(p.upgrade->additional_nodes) + blob_words(signature::size());
  return words;
}

/// A list of texts: one pointer per text (no tag in a list of pointers), each text with its NUL.
size_t texts_words(const std::vector<std::string>& texts) {
  DYNFEED_REQUIRE(texts.size() <= capnp_count_max);
  size_t words = texts.size();
  for (const std::string& t : texts)
    words += blob_words(t.size() + 1); // in a list, even an empty text holds its NUL
  return words;
}

// Hello's listenPort took the free bits 16-31 of its data word: hellos kept their size.
static_assert(wire::Hello::_capnpPrivate::dataWordSize == 1);
/// A bye without referrals is written as before the field existed: its data word and the
/// reason's pointer, and no pointer for referrals (see put(bye)).
constexpr uint16_t bye_short_data_words = 1;
constexpr uint16_t bye_short_pointers = 1;
static_assert(wire::Bye::_capnpPrivate::dataWordSize == bye_short_data_words
              && wire::Bye::_capnpPrivate::pointerCount == bye_short_pointers + 1);

size_t message_words(const hello& m) {
  return struct_words<wire::Hello> + text_words(m.user_agent);
}
size_t message_words(const bye& m) {
  if (m.referrals.empty())
    return bye_short_data_words + bye_short_pointers + text_words(m.reason);
  return struct_words<wire::Bye> + text_words(m.reason) + texts_words(m.referrals);
}
size_t message_words(const open_channel&) {
  return struct_words<wire::OpenChannel> + 2 * blob_words(hash256::size());
}
size_t message_words(const close_channel&) {
  return struct_words<wire::CloseChannel>;
}
size_t message_words(const sync&) {
  return struct_words<wire::Sync>;
}
size_t message_words(const range&) {
  return struct_words<wire::Range>;
}
size_t message_words(const request& m) {
  return struct_words<wire::Request> + body_words(m.body);
}
size_t message_words(const data& m) {
  return struct_words<wire::DataMessage> + body_words(m.body);
}
size_t message_words(const no_data&) {
  return struct_words<wire::NoData>;
}
size_t message_words(const cancel&) {
  return struct_words<wire::Cancel>;
}

size_t tree_words(const signed_tree& t) {
  return struct_words<wire::SignedTree> + nodes_words(t.roots) + blob_words(signature::size());
}
size_t message_words(const equivocation& m) {
  return struct_words<wire::Equivocation> + blob_words(public_key::size())
         + tree_words(m.proof.trees[0]) + tree_words(m.proof.trees[1])
         + nodes_words(m.proof.paths[0]) + nodes_words(m.proof.paths[1]);
}

size_t message_words(const find_feed&) {
  return struct_words<wire::FindFeed> + blob_words(hash256::size());
}
size_t message_words(const feed_unknown&) {
  return struct_words<wire::FeedUnknown> + blob_words(hash256::size());
}
size_t message_words(const offer_peer&) {
  return struct_words<wire::OfferPeer>;
}
size_t message_words(const attach&) {
  return struct_words<wire::Attach> + 2 * blob_words(hash256::size());
}
size_t message_words(const detach&) {
  return struct_words<wire::Detach> + blob_words(hash256::size());
}
size_t message_words(const channel_up&) {
  return struct_words<wire::ChannelUp> + blob_words(hash256::size());
}
size_t message_words(const channel_down&) {
  return struct_words<wire::ChannelDown>;
}
size_t message_words(const punish& m) {
  return struct_words<wire::Punish> + text_words(m.detail)
         + (m.referrals.empty() ? 0 : texts_words(m.referrals));
}
size_t message_words(const peer_up& m) {
  return struct_words<wire::PeerUp> + blob_words(hash256::size()) + text_words(m.address);
}
size_t message_words(const peer_down& m) {
  return struct_words<wire::PeerDown> + text_words(m.address)
         + (m.referrals.empty() ? 0 : texts_words(m.referrals));
}
size_t message_words(const referred& m) {
  return texts_words(m.addresses); // a List(Text) member of Frame
}
size_t message_words(const referral_taken&) {
  return 0;
}

size_t signatures_words(const std::vector<value_signature>& sigs) {
  DYNFEED_REQUIRE(sigs.size() <= capnp_count_max);
  if (sigs.empty())
    return 0;
  return 1 + sigs.size() * (struct_words<wire::ValueSignature> + blob_words(signature::size()));
}
size_t message_words(const value_push& m) {
  return struct_words<wire::ValuePush> + blob_words(m.value.value.size())
         + signatures_words(m.value.sigs);
}
size_t message_words(const id_push& m) {
  return struct_words<wire::ValuePush> + blob_words(m.value.value.size())
         + signatures_words(m.value.sigs);
}
size_t offer_words(const signed_value& v) {
  return struct_words<wire::OfferValue> + blob_words(v.value.size()) + signatures_words(v.sigs);
}
size_t message_words(const offer_value& m) {
  return offer_words(m.value);
}
size_t message_words(const subscribe_signed&) {
  return 0; // a Void member of Frame
}
size_t message_words(const signed_update& m) {
  return offer_words(m.value);
}
size_t message_words(const publish_value& m) {
  return struct_words<wire::PublishValue> + blob_words(m.value.size());
}
size_t message_words(const subscribe_values&) {
  return 0; // a Void member of Frame
}
size_t message_words(const value_update& m) {
  return struct_words<wire::ValueUpdate> + blob_words(m.value.size());
}
size_t message_words(const set_mode&) {
  return struct_words<wire::SetMode>;
}
size_t message_words(const rotate_swarm&) {
  return struct_words<wire::RotateSwarm> + 2 * blob_words(hash256::size());
}
size_t message_words(const find_peers&) {
  return struct_words<wire::FindPeers> + blob_words(hash256::size());
}
size_t message_words(const peers_found& m) {
  DYNFEED_REQUIRE(m.addresses.size() <= capnp_count_max);
  return struct_words<wire::PeersFound> + blob_words(hash256::size()) + texts_words(m.addresses);
}
size_t message_words(const stop_finding&) {
  return struct_words<wire::StopFinding> + blob_words(hash256::size());
}
size_t message_words(const dial& m) {
  return blob_words(m.address.size() + 1); // a Text member of Frame, always with its NUL
}
size_t message_words(const hang_up& m) {
  return blob_words(m.address.size() + 1);
}

size_t dht_item_words(const dht_item_fields& item) {
  return struct_words<wire::DhtItem> + blob_words(public_key::size()) + blob_words(item.salt.size())
         + blob_words(item.v.size()) + blob_words(item.sig.size());
}
size_t message_words(const put_item& m) {
  return dht_item_words(m.item);
}
size_t message_words(const watch_item& m) {
  return dht_item_words(m.item);
}
size_t message_words(const poll_item& m) {
  return dht_item_words(m.item);
}
size_t message_words(const stop_item& m) {
  return dht_item_words(m.item);
}
size_t message_words(const item_found& m) {
  return dht_item_words(m.item);
}
size_t message_words(const use_dht&) {
  return struct_words<wire::UseDht>;
}

/// Words of the single segment: the root pointer, the Frame and the message.
template <class Variant>
size_t segment_words(const Variant& message) {
  size_t words = 1 + struct_words<wire::Frame>
                 + std::visit([](const auto& m) { return message_words(m); }, message);
  DYNFEED_REQUIRE(words <= capnp_count_max);
  return words;
}

// ---- encoding -----------------------------------------------------------------------------

template <class Builder>
void put_nodes(const std::vector<tree_node>& nodes, Builder&& init) {
  if (nodes.empty())
    return;
  auto list = init(static_cast<unsigned>(nodes.size()));
  for (unsigned i = 0; i < nodes.size(); ++i) {
    auto node = list[i];
    node.setIndex(nodes[i].index);
    node.setSize(nodes[i].size);
    node.setHash(blob(nodes[i].hash));
  }
}

void put_body(const proof_request& r, wire::ProofRequest::Builder out) {
  out.setFork(r.fork);
  if (r.block) {
    auto block = out.initBlock();
    block.setIndex(r.block->index);
    block.setNodes(r.block->nodes);
    block.setCount(r.block->count);
  }
  if (r.upgrade) {
    auto upgrade = out.initUpgrade();
    upgrade.setStart(r.upgrade->start);
    upgrade.setLength(r.upgrade->length);
  }
}

void put_body(const proof& p, wire::Proof::Builder out) {
  out.setFork(p.fork);
  if (p.block) {
    auto block = out.initBlock();
    block.setIndex(p.block->index);
    const std::vector<bytes>& values = p.block->values;
    if (!values.empty()) {
      auto list = block.initValues(static_cast<unsigned>(values.size()));
      for (unsigned i = 0; i < values.size(); ++i)
        list.set(i, blob(values[i]));
    }
    put_nodes(p.block->nodes, [&](unsigned n) { return block.initNodes(n); });
  }
  if (p.upgrade) {
    const upgrade_proof& up = *p.upgrade;
    auto upgrade = out.initUpgrade();
    upgrade.setStart(up.start);
    upgrade.setLength(up.length);
    put_nodes(up.nodes, [&](unsigned n) { return upgrade.initNodes(n); });
    put_nodes(up.additional_nodes, [&](unsigned n) { return upgrade.initAdditionalNodes(n); });
    upgrade.setSignedLength(up.signed_length);
    upgrade.setSignature(blob(up.sig));
  }
}

/// A capnp Text from a std::string, whose data() is NUL-terminated as capnp requires.
capnp::Text::Reader text(const std::string& s) {
  return capnp::Text::Reader(s.data(), s.size());
}

void put(const hello& m, wire::Frame::Builder frame) {
  auto out = frame.initHello();
  out.setVersion(m.version);
  out.setFrameSizeMax(m.frame_size_max);
  out.setListenPort(m.listen_port);
  if (!m.user_agent.empty())
    out.setUserAgent(text(m.user_agent));
}
/// Fills a List(Text) whose builder `init(n)` makes, unless `texts` is empty (a null pointer).
template <class Init>
void put_texts(const std::vector<std::string>& texts, Init&& init) {
  if (texts.empty())
    return;
  auto list = init(static_cast<unsigned>(texts.size()));
  for (unsigned i = 0; i < texts.size(); ++i)
    list.set(i, text(texts[i]));
}

/// Frame's bye member built with the layout it had before referrals (see bye_short_pointers):
/// Cap'n Proto readers take a struct shorter than their schema, its missing fields as zero.
wire::Bye::Builder init_short_bye(wire::Frame::Builder frame) {
  capnp::AnyStruct::Builder any = capnp::toAny(frame);
  // The discriminant of Frame's union is its only data: the first 16 bits.
  auto which = static_cast<uint16_t>(wire::Frame::BYE);
  kj::ArrayPtr<kj::byte> data = any.getDataSection();
  data[0] = static_cast<kj::byte>(which & 0xff);
  data[1] = static_cast<kj::byte>(which >> 8);
  DYNFEED_ASSERT(frame.which() == wire::Frame::BYE);
  return any.getPointerSection()[0]
    .initAsAnyStruct(bye_short_data_words, bye_short_pointers)
    .as<wire::Bye>();
}

void put(const bye& m, wire::Frame::Builder frame) {
  // Never set the referrals of a short bye: its struct has no room for them.
  auto out = m.referrals.empty() ? init_short_bye(frame) : frame.initBye();
  out.setCode(m.code);
  if (!m.reason.empty())
    out.setReason(text(m.reason));
  put_texts(m.referrals, [&](unsigned n) { return out.initReferrals(n); });
}
void put(const open_channel& m, wire::Frame::Builder frame) {
  auto out = frame.initOpenChannel();
  out.setChannel(m.channel);
  out.setDiscoveryKey(blob(m.discovery_key));
  out.setCapability(blob(m.capability));
}
void put(const close_channel& m, wire::Frame::Builder frame) {
  frame.initCloseChannel().setChannel(m.channel);
}
void put(const sync& m, wire::Frame::Builder frame) {
  auto out = frame.initSync();
  out.setChannel(m.channel);
  out.setFork(m.fork);
  out.setLength(m.length);
  out.setHoldsId(m.holds_id);
}
void put(const range& m, wire::Frame::Builder frame) {
  auto out = frame.initRange();
  out.setChannel(m.channel);
  out.setStart(m.start);
  out.setLength(m.length);
  out.setDrop(m.drop);
}
void put(const request& m, wire::Frame::Builder frame) {
  auto out = frame.initRequest();
  out.setChannel(m.channel);
  out.setId(m.id);
  put_body(m.body, out.initBody());
}
void put(const data& m, wire::Frame::Builder frame) {
  auto out = frame.initData();
  out.setChannel(m.channel);
  out.setId(m.id);
  put_body(m.body, out.initBody());
}
void put(const no_data& m, wire::Frame::Builder frame) {
  auto out = frame.initNoData();
  out.setChannel(m.channel);
  out.setId(m.id);
  out.setReason(m.reason);
}
void put_tree(const signed_tree& t, wire::SignedTree::Builder out) {
  out.setFork(t.fork);
  out.setLength(t.length);
  put_nodes(t.roots, [&](unsigned n) { return out.initRoots(n); });
  out.setSignature(blob(t.sig));
}
void put(const equivocation& m, wire::Frame::Builder frame) {
  auto out = frame.initEquivocation();
  out.setChannel(m.channel);
  out.setKey(blob(m.proof.key));
  put_tree(m.proof.trees[0], out.initTreeA());
  put_tree(m.proof.trees[1], out.initTreeB());
  out.setIndex(m.proof.index);
  put_nodes(m.proof.paths[0], [&](unsigned n) { return out.initPathA(n); });
  put_nodes(m.proof.paths[1], [&](unsigned n) { return out.initPathB(n); });
}
void put(const find_feed& m, wire::Frame::Builder frame) {
  auto out = frame.initFindFeed();
  out.setDiscoveryKey(blob(m.discovery_key));
  out.setListenPort(m.listen_port);
}
void put(const feed_unknown& m, wire::Frame::Builder frame) {
  frame.initFeedUnknown().setDiscoveryKey(blob(m.discovery_key));
}
void put(const offer_peer& m, wire::Frame::Builder frame) {
  frame.initOfferPeer().setPeer(m.peer);
}
void put(const attach& m, wire::Frame::Builder frame) {
  auto out = frame.initAttach();
  out.setKey(blob(m.key));
  out.setDiscoveryKey(blob(m.discovery_key));
}
void put(const detach& m, wire::Frame::Builder frame) {
  frame.initDetach().setDiscoveryKey(blob(m.discovery_key));
}
void put(const channel_up& m, wire::Frame::Builder frame) {
  auto out = frame.initChannelUp();
  out.setChannel(m.channel);
  out.setRemoteNode(blob(m.remote_node));
  out.setInitiator(m.initiator);
}
void put(const channel_down& m, wire::Frame::Builder frame) {
  frame.initChannelDown().setReason(m.reason);
}
void put(const punish& m, wire::Frame::Builder frame) {
  auto out = frame.initPunish();
  out.setReason(m.reason);
  if (!m.detail.empty())
    out.setDetail(text(m.detail));
  put_texts(m.referrals, [&](unsigned n) { return out.initReferrals(n); });
}
void put(const peer_up& m, wire::Frame::Builder frame) {
  auto out = frame.initPeerUp();
  out.setPeer(m.peer);
  out.setRemoteNode(blob(m.remote_node));
  if (!m.address.empty())
    out.setAddress(text(m.address));
  out.setOutbound(m.outbound);
}
void put(const peer_down& m, wire::Frame::Builder frame) {
  auto out = frame.initPeerDown();
  out.setPeer(m.peer);
  if (!m.address.empty())
    out.setAddress(text(m.address));
  out.setReason(m.reason);
  put_texts(m.referrals, [&](unsigned n) { return out.initReferrals(n); });
}
void put(const referred& m, wire::Frame::Builder frame) {
  auto list = frame.initReferred(static_cast<unsigned>(m.addresses.size()));
  for (unsigned i = 0; i < m.addresses.size(); ++i)
    list.set(i, text(m.addresses[i]));
}
void put(const referral_taken&, wire::Frame::Builder frame) {
  frame.setReferralTaken();
}
/// A signed value's seq, value and signatures, into a ValuePush or an OfferValue.
template <class Builder>
void put_signed(const signed_value& v, Builder out) {
  out.setSeq(v.seq);
  out.setValue(blob(v.value));
  if (!v.sigs.empty()) {
    auto list = out.initSignatures(static_cast<unsigned>(v.sigs.size()));
    for (unsigned i = 0; i < v.sigs.size(); ++i) {
      list[i].setSigner(v.sigs[i].signer);
      list[i].setSignature(blob(v.sigs[i].sig));
    }
  }
}
void put(const value_push& m, wire::Frame::Builder frame) {
  auto out = frame.initValuePush();
  out.setChannel(m.channel);
  put_signed(m.value, out);
}
void put(const id_push& m, wire::Frame::Builder frame) {
  auto out = frame.initIdPush();
  out.setChannel(m.channel);
  put_signed(m.value, out);
}
void put(const offer_value& m, wire::Frame::Builder frame) {
  auto out = frame.initOfferValue();
  out.setPeer(m.peer);
  put_signed(m.value, out);
}
void put(const subscribe_signed&, wire::Frame::Builder frame) {
  frame.setSubscribeSigned();
}
void put(const signed_update& m, wire::Frame::Builder frame) {
  auto out = frame.initSignedUpdate();
  out.setPeer(m.peer);
  put_signed(m.value, out);
}
void put(const publish_value& m, wire::Frame::Builder frame) {
  auto out = frame.initPublishValue();
  out.setValue(blob(m.value));
  out.setSeq(m.seq);
  out.setSeqGiven(m.seq_given);
}
void put(const subscribe_values&, wire::Frame::Builder frame) {
  frame.setSubscribeValues();
}
void put(const value_update& m, wire::Frame::Builder frame) {
  auto out = frame.initValueUpdate();
  out.setSeq(m.seq);
  out.setValue(blob(m.value));
}
void put(const set_mode& m, wire::Frame::Builder frame) {
  auto out = frame.initSetMode();
  out.setMode(m.mode);
  out.setPublisher(m.publisher);
  out.setNode(m.node);
  out.setIdChannels(m.id_channels);
}
void put(const rotate_swarm& m, wire::Frame::Builder frame) {
  auto out = frame.initRotateSwarm();
  out.setLeave(blob(m.leave));
  out.setJoin(blob(m.join));
}
void put_dht_item(const dht_item_fields& item, wire::DhtItem::Builder out) {
  out.setK(blob(item.k));
  out.setSalt(blob(item.salt));
  out.setSeq(item.seq);
  out.setV(blob(item.v));
  out.setSig(blob(item.sig));
}
void put(const put_item& m, wire::Frame::Builder frame) {
  put_dht_item(m.item, frame.initPutItem());
}
void put(const watch_item& m, wire::Frame::Builder frame) {
  auto out = frame.initWatchItem();
  put_dht_item(m.item, out);
  out.setIntervalMs(m.interval_ms);
  out.setJitterMs(m.jitter_ms);
}
void put(const poll_item& m, wire::Frame::Builder frame) {
  put_dht_item(m.item, frame.initPollItem());
}
void put(const stop_item& m, wire::Frame::Builder frame) {
  put_dht_item(m.item, frame.initStopItem());
}
void put(const item_found& m, wire::Frame::Builder frame) {
  put_dht_item(m.item, frame.initItemFound());
}
void put(const use_dht& m, wire::Frame::Builder frame) {
  auto out = frame.initUseDht();
  out.setDiscovery(m.discovery);
  out.setPollIntervalMs(m.poll_interval_ms);
  out.setPollJitterMs(m.poll_jitter_ms);
}
void put(const find_peers& m, wire::Frame::Builder frame) {
  auto out = frame.initFindPeers();
  out.setTopic(blob(m.topic));
  out.setAnnounce(m.announce);
}
void put(const peers_found& m, wire::Frame::Builder frame) {
  auto out = frame.initPeersFound();
  out.setTopic(blob(m.topic));
  put_texts(m.addresses, [&](unsigned n) { return out.initAddresses(n); });
}
void put(const stop_finding& m, wire::Frame::Builder frame) {
  frame.initStopFinding().setTopic(blob(m.topic));
}
void put(const dial& m, wire::Frame::Builder frame) {
  frame.setDial(text(m.address));
}
void put(const hang_up& m, wire::Frame::Builder frame) {
  frame.setHangUp(text(m.address));
}
void put(const cancel& m, wire::Frame::Builder frame) {
  auto out = frame.initCancel();
  out.setChannel(m.channel);
  out.setId(m.id);
}

// ---- decoding -----------------------------------------------------------------------------
//
// Each reader follows every pointer once: Cap'n Proto counts the words behind each pointer it
// follows against the traversal limit, and a frame read once stays within about its own size.

/// Words Cap'n Proto may read per word of frame. Reading an honest frame once reads about its
/// own size (each object once, the root pointer twice); twice that leaves room for accounting
/// details while pointers that share a target still cannot make a frame decode much larger.
constexpr uint64_t traversal_per_frame_word_max = 2;

/// How much of a Cap'n Proto exception's description goes into an error's context.
constexpr size_t exception_context_size_max = 200;

template <size_t N, class Tag>
status get_fixed(const char* what, capnp::Data::Reader in, fixed_bytes<N, Tag>& out) {
  if (in.size() != N)
    return error{msg_errc::wrong_size,
                 std::string{what} + ": " + str(in.size()) + " bytes, not " + str(N)};
  std::memcpy(out.data(), in.begin(), N);
  return {};
}

status get_text(const char* what, capnp::Text::Reader in, const codec_limits& limits,
                std::string& out) {
  if (auto st = check_limit(what, in.size(), limits.text_size_max); !st)
    return st;
  out.assign(in.begin(), in.size());
  return {};
}

status get_nodes(const char* what, capnp::List<wire::TreeNode>::Reader in,
                 const codec_limits& limits, std::vector<tree_node>& out) {
  if (auto st = check_limit(what, in.size(), limits.proof_nodes_max); !st)
    return st;
  out.resize(in.size());
  for (unsigned i = 0; i < in.size(); ++i) {
    auto node = in[i];
    out[i].index = node.getIndex();
    out[i].size = node.getSize();
    if (auto st = get_fixed("tree node hash", node.getHash(), out[i].hash); !st)
      return st;
  }
  return {};
}

status get_block(wire::BlockProof::Reader in, const codec_limits& limits, block_proof& out) {
  out.index = in.getIndex();
  auto values = in.getValues();
  if (auto st = check_limit("block values", values.size(), limits.values_max); !st)
    return st;
  out.values.reserve(values.size());
  for (auto value : values) {
    if (auto st = check_limit("block value size", value.size(), limits.value_size_max); !st)
      return st;
    out.values.emplace_back(value.begin(), value.end());
  }
  return get_nodes("block nodes", in.getNodes(), limits, out.nodes);
}

status get_upgrade(wire::UpgradeProof::Reader in, const codec_limits& limits,
                   upgrade_proof& out) {
  out.start = in.getStart();
  out.length = in.getLength();
  out.signed_length = in.getSignedLength();
  if (auto st = get_fixed("upgrade signature", in.getSignature(), out.sig); !st)
    return st;
  if (auto st = get_nodes("upgrade nodes", in.getNodes(), limits, out.nodes); !st)
    return st;
  return get_nodes("upgrade additional nodes", in.getAdditionalNodes(), limits,
                   out.additional_nodes);
}

status get_body(wire::ProofRequest::Reader in, proof_request& out) {
  out.fork = in.getFork();
  if (in.hasBlock()) {
    auto block = in.getBlock();
    out.block = block_request{block.getIndex(), block.getNodes(), block.getCount()};
  }
  if (in.hasUpgrade()) {
    auto upgrade = in.getUpgrade();
    out.upgrade = upgrade_request{upgrade.getStart(), upgrade.getLength()};
  }
  return {};
}

status get_body(wire::Proof::Reader in, const codec_limits& limits, proof& out) {
  out.fork = in.getFork();
  if (in.hasBlock())
    if (auto st = get_block(in.getBlock(), limits, out.block.emplace()); !st)
      return st;
  if (in.hasUpgrade())
    if (auto st = get_upgrade(in.getUpgrade(), limits, out.upgrade.emplace()); !st)
      return st;
  return {};
}

/// Referrals from a peer: at most referrals_max, each a canonical "a.b.c.d:port" that can be
/// dialled (neither the address nor the port zero), checked cheapest first.
status get_referrals(const char* what, capnp::List<capnp::Text>::Reader in,
                     std::vector<std::string>& out) {
  if (auto st = check_limit(what, in.size(), referrals_max); !st)
    return st;
  out.resize(in.size());
  for (unsigned i = 0; i < in.size(); ++i) {
    auto t = in[i];
    std::string where = std::string{what} + " " + str(i);
    if (auto st = check_limit(where.c_str(), t.size(), referral_size_max); !st)
      return st;
    std::string_view address(t.begin(), t.size());
    if (!is_referral_address(address))
      return error{msg_errc::malformed, where + ": not a dialable a.b.c.d:port"};
    out[i].assign(address);
  }
  return {};
}

status get_message(wire::Hello::Reader in, const codec_limits& limits, hello& out) {
  out.version = in.getVersion();
  out.frame_size_max = in.getFrameSizeMax();
  out.listen_port = in.getListenPort();
  return get_text("user agent", in.getUserAgent(), limits, out.user_agent);
}
status get_message(wire::Bye::Reader in, const codec_limits& limits, bye& out) {
  out.code = in.getCode();
  if (auto st = get_text("bye reason", in.getReason(), limits, out.reason); !st)
    return st;
  return get_referrals("bye referral", in.getReferrals(), out.referrals);
}
status get_message(wire::OpenChannel::Reader in, const codec_limits&, open_channel& out) {
  out.channel = in.getChannel();
  if (auto st = get_fixed("discovery key", in.getDiscoveryKey(), out.discovery_key); !st)
    return st;
  return get_fixed("capability", in.getCapability(), out.capability);
}
status get_message(wire::CloseChannel::Reader in, const codec_limits&, close_channel& out) {
  out.channel = in.getChannel();
  return {};
}
status get_message(wire::Sync::Reader in, const codec_limits&, sync& out) {
  out = sync{in.getChannel(), in.getFork(), in.getLength(), in.getHoldsId()};
  return {};
}
status get_message(wire::Range::Reader in, const codec_limits&, range& out) {
  out = range{in.getChannel(), in.getStart(), in.getLength(), in.getDrop()};
  return {};
}
status get_message(wire::Request::Reader in, const codec_limits&, request& out) {
  out.channel = in.getChannel();
  out.id = in.getId();
  return get_body(in.getBody(), out.body);
}
status get_message(wire::DataMessage::Reader in, const codec_limits& limits, data& out) {
  out.channel = in.getChannel();
  out.id = in.getId();
  return get_body(in.getBody(), limits, out.body);
}
status get_message(wire::NoData::Reader in, const codec_limits&, no_data& out) {
  out = no_data{in.getChannel(), in.getId(), in.getReason()};
  return {};
}
status get_message(wire::Cancel::Reader in, const codec_limits&, cancel& out) {
  out = cancel{in.getChannel(), in.getId()};
  return {};
}

status get_message(wire::FindFeed::Reader in, const codec_limits&, find_feed& out) {
  out.listen_port = in.getListenPort();
  return get_fixed("discovery key", in.getDiscoveryKey(), out.discovery_key);
}
status get_message(wire::FeedUnknown::Reader in, const codec_limits&, feed_unknown& out) {
  return get_fixed("discovery key", in.getDiscoveryKey(), out.discovery_key);
}
status get_message(wire::OfferPeer::Reader in, const codec_limits&, offer_peer& out) {
  out.peer = in.getPeer();
  return {};
}
status get_message(wire::Attach::Reader in, const codec_limits&, attach& out) {
  if (auto st = get_fixed("key", in.getKey(), out.key); !st)
    return st;
  return get_fixed("discovery key", in.getDiscoveryKey(), out.discovery_key);
}
status get_message(wire::Detach::Reader in, const codec_limits&, detach& out) {
  return get_fixed("discovery key", in.getDiscoveryKey(), out.discovery_key);
}
status get_message(wire::ChannelUp::Reader in, const codec_limits&, channel_up& out) {
  out.channel = in.getChannel();
  out.initiator = in.getInitiator();
  return get_fixed("remote node", in.getRemoteNode(), out.remote_node);
}
status get_message(wire::ChannelDown::Reader in, const codec_limits&, channel_down& out) {
  out.reason = in.getReason();
  return {};
}
status get_message(wire::Punish::Reader in, const codec_limits& limits, punish& out) {
  out.reason = in.getReason();
  if (auto st = get_text("punish detail", in.getDetail(), limits, out.detail); !st)
    return st;
  return get_referrals("punish referral", in.getReferrals(), out.referrals);
}
status get_message(wire::PeerUp::Reader in, const codec_limits& limits, peer_up& out) {
  out.peer = in.getPeer();
  out.outbound = in.getOutbound();
  if (auto st = get_fixed("remote node", in.getRemoteNode(), out.remote_node); !st)
    return st;
  return get_text("address", in.getAddress(), limits, out.address);
}
status get_message(wire::PeerDown::Reader in, const codec_limits& limits, peer_down& out) {
  out.peer = in.getPeer();
  out.reason = in.getReason();
  if (auto st = get_text("address", in.getAddress(), limits, out.address); !st)
    return st;
  return get_referrals("peer down referral", in.getReferrals(), out.referrals);
}

status get_value_bytes(const char* what, capnp::Data::Reader in, const codec_limits& limits,
                       bytes& out) {
  if (auto st = check_limit(what, in.size(), limits.signed_value_size_max); !st)
    return st;
  out.assign(in.begin(), in.end());
  return {};
}
/// A signed value's seq, value and signatures, from a ValuePush or an OfferValue.
template <class Reader>
status get_signed(Reader in, const codec_limits& limits, signed_value& out) {
  out.seq = in.getSeq();
  if (auto st = get_value_bytes("value", in.getValue(), limits, out.value); !st)
    return st;
  auto sigs = in.getSignatures();
  if (auto st = check_limit("value signatures", sigs.size(), limits.value_signatures_max); !st)
    return st;
  out.sigs.resize(sigs.size());
  for (unsigned i = 0; i < sigs.size(); ++i) {
    out.sigs[i].signer = sigs[i].getSigner();
    if (auto st = get_fixed("value signature", sigs[i].getSignature(), out.sigs[i].sig); !st)
      return st;
  }
  return {};
}
status get_message(wire::ValuePush::Reader in, const codec_limits& limits, value_push& out) {
  out.channel = in.getChannel();
  return get_signed(in, limits, out.value);
}
status get_message(wire::ValuePush::Reader in, const codec_limits& limits, id_push& out) {
  out.channel = in.getChannel();
  return get_signed(in, limits, out.value);
}
status get_message(wire::OfferValue::Reader in, const codec_limits& limits, offer_value& out) {
  out.peer = in.getPeer();
  return get_signed(in, limits, out.value);
}
status get_message(wire::OfferValue::Reader in, const codec_limits& limits, signed_update& out) {
  out.peer = in.getPeer();
  return get_signed(in, limits, out.value);
}
status get_message(wire::PublishValue::Reader in, const codec_limits& limits, publish_value& out) {
  out.seq = in.getSeq();
  out.seq_given = in.getSeqGiven();
  return get_value_bytes("value", in.getValue(), limits, out.value);
}
status get_message(wire::ValueUpdate::Reader in, const codec_limits& limits, value_update& out) {
  out.seq = in.getSeq();
  return get_value_bytes("value", in.getValue(), limits, out.value);
}
status get_message(wire::SetMode::Reader in, const codec_limits&, set_mode& out) {
  out.mode = in.getMode();
  out.publisher = in.getPublisher();
  out.node = in.getNode();
  out.id_channels = in.getIdChannels();
  return {};
}
status get_message(wire::RotateSwarm::Reader in, const codec_limits&, rotate_swarm& out) {
  if (auto st = get_fixed("leave topic", in.getLeave(), out.leave); !st)
    return st;
  return get_fixed("join topic", in.getJoin(), out.join);
}
/// BEP 44's bounds (discovery/dht.hpp checks the item itself): a 64-byte salt, a signature of
/// 64 bytes or none, and a `v` within a signed value's limit.
status get_dht_item(wire::DhtItem::Reader in, const codec_limits& limits, dht_item_fields& out) {
  constexpr size_t salt_size_max = 64;
  out.seq = in.getSeq();
  if (auto st = get_fixed("item key", in.getK(), out.k); !st)
    return st;
  if (auto st = check_limit("item salt", in.getSalt().size(), salt_size_max); !st)
    return st;
  out.salt.assign(in.getSalt().begin(), in.getSalt().end());
  if (auto st = get_value_bytes("item value", in.getV(), limits, out.v); !st)
    return st;
  auto sig = in.getSig();
  if (sig.size() != 0 && sig.size() != signature::size())
    return error{msg_errc::wrong_size, "item signature: " + str(sig.size()) + " bytes"};
  out.sig.assign(sig.begin(), sig.end());
  return {};
}
status get_message(wire::DhtItem::Reader in, const codec_limits& limits, put_item& out) {
  return get_dht_item(in, limits, out.item);
}
status get_message(wire::DhtItem::Reader in, const codec_limits& limits, watch_item& out) {
  out.interval_ms = in.getIntervalMs();
  out.jitter_ms = in.getJitterMs();
  return get_dht_item(in, limits, out.item);
}
status get_message(wire::DhtItem::Reader in, const codec_limits& limits, poll_item& out) {
  return get_dht_item(in, limits, out.item);
}
status get_message(wire::DhtItem::Reader in, const codec_limits& limits, stop_item& out) {
  return get_dht_item(in, limits, out.item);
}
status get_message(wire::DhtItem::Reader in, const codec_limits& limits, item_found& out) {
  return get_dht_item(in, limits, out.item);
}
status get_message(wire::UseDht::Reader in, const codec_limits&, use_dht& out) {
  out.discovery = in.getDiscovery();
  out.poll_interval_ms = in.getPollIntervalMs();
  out.poll_jitter_ms = in.getPollJitterMs();
  return {};
}
status get_message(wire::FindPeers::Reader in, const codec_limits&, find_peers& out) {
  out.announce = in.getAnnounce();
  return get_fixed("topic", in.getTopic(), out.topic);
}
status get_message(wire::PeersFound::Reader in, const codec_limits& limits, peers_found& out) {
  if (auto st = get_fixed("topic", in.getTopic(), out.topic); !st)
    return st;
  auto list = in.getAddresses();
  if (auto st = check_limit("addresses", list.size(), limits.addresses_max); !st)
    return st;
  out.addresses.resize(list.size());
  for (unsigned i = 0; i < list.size(); ++i)
    if (auto st = get_text("address", list[i], limits, out.addresses[i]); !st)
      return st;
  return {};
}
/// Most nodes in an equivocation's lists: a tree's roots, or a path from a node to a root.
constexpr uint64_t equivocation_nodes_max = proof_depth_max + 1;

status get_tree(const char* what, wire::SignedTree::Reader in, const codec_limits& limits,
                signed_tree& out) {
  out.fork = in.getFork();
  out.length = in.getLength();
  auto roots = in.getRoots(); // read once: each read counts against the traversal limit
  if (auto st = check_limit(what, roots.size(), equivocation_nodes_max); !st)
    return st;
  if (auto st = get_nodes(what, roots, limits, out.roots); !st)
    return st;
  return get_fixed("tree signature", in.getSignature(), out.sig);
}
status get_message(wire::Equivocation::Reader in, const codec_limits& limits, equivocation& out) {
  out.channel = in.getChannel();
  equivocation_proof& p = out.proof;
  if (auto st = get_fixed("writer key", in.getKey(), p.key); !st)
    return st;
  if (!in.hasTreeA() || !in.hasTreeB())
    return error{msg_errc::malformed, "an equivocation without its two trees"};
  if (auto st = get_tree("tree A roots", in.getTreeA(), limits, p.trees[0]); !st)
    return st;
  if (auto st = get_tree("tree B roots", in.getTreeB(), limits, p.trees[1]); !st)
    return st;
  p.index = in.getIndex();
  for (auto [what, list, path] : {std::make_tuple("path A", in.getPathA(), &p.paths[0]),
                                  std::make_tuple("path B", in.getPathB(), &p.paths[1])}) {
    if (auto st = check_limit(what, list.size(), equivocation_nodes_max); !st)
      return st;
    if (auto st = get_nodes(what, list, limits, *path); !st)
      return st;
  }
  return {};
}

status get_message(wire::StopFinding::Reader in, const codec_limits&, stop_finding& out) {
  return get_fixed("topic", in.getTopic(), out.topic);
}

/// Decodes into the message that will be returned, so that blocks are never moved.
template <class T, class Reader>
expected<message> make(Reader in, const codec_limits& limits) {
  using outer = std::conditional_t<std::is_constructible_v<wire_message, T>, wire_message,
                                   local_message>;
  message out{std::in_place_type<outer>, std::in_place_type<T>};
  if (auto st = get_message(in, limits, std::get<T>(std::get<outer>(out))); !st)
    return std::move(st).error();
  return out;
}

expected<message> get_frame(wire::Frame::Reader frame, const codec_limits& limits) {
  switch (frame.which()) {
    case wire::Frame::INVALID:
      return error{msg_errc::malformed, "no message"};
    case wire::Frame::HELLO:
      return make<hello>(frame.getHello(), limits);
    case wire::Frame::BYE:
      return make<bye>(frame.getBye(), limits);
    case wire::Frame::OPEN_CHANNEL:
      return make<open_channel>(frame.getOpenChannel(), limits);
    case wire::Frame::CLOSE_CHANNEL:
      return make<close_channel>(frame.getCloseChannel(), limits);
    case wire::Frame::SYNC:
      return make<sync>(frame.getSync(), limits);
    case wire::Frame::RANGE:
      return make<range>(frame.getRange(), limits);
    case wire::Frame::REQUEST:
      return make<request>(frame.getRequest(), limits);
    case wire::Frame::DATA:
      return make<data>(frame.getData(), limits);
    case wire::Frame::NO_DATA:
      return make<no_data>(frame.getNoData(), limits);
    case wire::Frame::CANCEL:
      return make<cancel>(frame.getCancel(), limits);
    case wire::Frame::EQUIVOCATION:
      return make<equivocation>(frame.getEquivocation(), limits);
    case wire::Frame::FIND_FEED:
      return make<find_feed>(frame.getFindFeed(), limits);
    case wire::Frame::FEED_UNKNOWN:
      return make<feed_unknown>(frame.getFeedUnknown(), limits);
    case wire::Frame::OFFER_PEER:
      return make<offer_peer>(frame.getOfferPeer(), limits);
    case wire::Frame::ATTACH:
      return make<attach>(frame.getAttach(), limits);
    case wire::Frame::DETACH:
      return make<detach>(frame.getDetach(), limits);
    case wire::Frame::CHANNEL_UP:
      return make<channel_up>(frame.getChannelUp(), limits);
    case wire::Frame::CHANNEL_DOWN:
      return make<channel_down>(frame.getChannelDown(), limits);
    case wire::Frame::PUNISH:
      return make<punish>(frame.getPunish(), limits);
    case wire::Frame::PEER_UP:
      return make<peer_up>(frame.getPeerUp(), limits);
    case wire::Frame::PEER_DOWN:
      return make<peer_down>(frame.getPeerDown(), limits);
    case wire::Frame::VALUE_PUSH:
      return make<value_push>(frame.getValuePush(), limits);
    case wire::Frame::PUBLISH_VALUE:
      return make<publish_value>(frame.getPublishValue(), limits);
    case wire::Frame::SUBSCRIBE_VALUES:
      return message{std::in_place_type<local_message>, subscribe_values{}};
    case wire::Frame::VALUE_UPDATE:
      return make<value_update>(frame.getValueUpdate(), limits);
    case wire::Frame::SET_MODE:
      return make<set_mode>(frame.getSetMode(), limits);
    case wire::Frame::ROTATE_SWARM:
      return make<rotate_swarm>(frame.getRotateSwarm(), limits);
    case wire::Frame::FIND_PEERS:
      return make<find_peers>(frame.getFindPeers(), limits);
    case wire::Frame::PEERS_FOUND:
      return make<peers_found>(frame.getPeersFound(), limits);
    case wire::Frame::STOP_FINDING:
      return make<stop_finding>(frame.getStopFinding(), limits);
    case wire::Frame::DIAL: {
      message out{std::in_place_type<local_message>, std::in_place_type<dial>};
      if (auto st = get_text("address", frame.getDial(), limits,
                             std::get<dial>(std::get<local_message>(out)).address);
          !st)
        return std::move(st).error();
      return out;
    }
    case wire::Frame::ID_PUSH:
      return make<id_push>(frame.getIdPush(), limits);
    case wire::Frame::OFFER_VALUE:
      return make<offer_value>(frame.getOfferValue(), limits);
    case wire::Frame::SUBSCRIBE_SIGNED:
      return message{std::in_place_type<local_message>, subscribe_signed{}};
    case wire::Frame::SIGNED_UPDATE:
      return make<signed_update>(frame.getSignedUpdate(), limits);
    case wire::Frame::PUT_ITEM:
      return make<put_item>(frame.getPutItem(), limits);
    case wire::Frame::WATCH_ITEM:
      return make<watch_item>(frame.getWatchItem(), limits);
    case wire::Frame::POLL_ITEM:
      return make<poll_item>(frame.getPollItem(), limits);
    case wire::Frame::STOP_ITEM:
      return make<stop_item>(frame.getStopItem(), limits);
    case wire::Frame::ITEM_FOUND:
      return make<item_found>(frame.getItemFound(), limits);
    case wire::Frame::USE_DHT:
      return make<use_dht>(frame.getUseDht(), limits);
    case wire::Frame::REFERRED: {
      message out{std::in_place_type<local_message>, std::in_place_type<referred>};
      if (auto st = get_referrals("referred", frame.getReferred(),
                                  std::get<referred>(std::get<local_message>(out)).addresses);
          !st)
        return std::move(st).error();
      return out;
    }
    case wire::Frame::REFERRAL_TAKEN:
      return message{std::in_place_type<local_message>, referral_taken{}};
    case wire::Frame::HANG_UP: {
      message out{std::in_place_type<local_message>, std::in_place_type<hang_up>};
      if (auto st = get_text("address", frame.getHangUp(), limits,
                             std::get<hang_up>(std::get<local_message>(out)).address);
          !st)
        return std::move(st).error();
      return out;
    }
  }
  // A member appended to Frame by a newer build.
  return error{msg_errc::unknown_kind, "Frame member " + str(static_cast<uint16_t>(frame.which()))};
}

/// True for the Frame members that only components of one node exchange.
bool is_local_kind(wire::Frame::Which which) {
  switch (which) {
    case wire::Frame::FIND_FEED:
    case wire::Frame::FEED_UNKNOWN:
    case wire::Frame::OFFER_PEER:
    case wire::Frame::ATTACH:
    case wire::Frame::DETACH:
    case wire::Frame::CHANNEL_UP:
    case wire::Frame::CHANNEL_DOWN:
    case wire::Frame::PUNISH:
    case wire::Frame::PEER_UP:
    case wire::Frame::PEER_DOWN:
    case wire::Frame::PUBLISH_VALUE:
    case wire::Frame::SUBSCRIBE_VALUES:
    case wire::Frame::VALUE_UPDATE:
    case wire::Frame::SET_MODE:
    case wire::Frame::ROTATE_SWARM:
    case wire::Frame::FIND_PEERS:
    case wire::Frame::PEERS_FOUND:
    case wire::Frame::STOP_FINDING:
    case wire::Frame::DIAL:
    case wire::Frame::HANG_UP:
    case wire::Frame::OFFER_VALUE:
    case wire::Frame::SUBSCRIBE_SIGNED:
    case wire::Frame::SIGNED_UPDATE:
    case wire::Frame::PUT_ITEM:
    case wire::Frame::WATCH_ITEM:
    case wire::Frame::POLL_ITEM:
    case wire::Frame::STOP_ITEM:
    case wire::Frame::ITEM_FOUND:
    case wire::Frame::USE_DHT:
    case wire::Frame::REFERRED:
    case wire::Frame::REFERRAL_TAKEN:
      return true;
    default:
      return false;
  }
}

/// Checks the segment table against the frame, cheapest first, before Cap'n Proto reads it.
/// Returns the frame's size in words.
expected<size_t> check_framing(byte_span frame, const codec_limits& limits) {
  if (frame.size() > limits.frame_size_max)
    return error{msg_errc::too_large, str(frame.size()) + " bytes > " + str(limits.frame_size_max)};
  if (frame.size() < word_size)
    return error{msg_errc::truncated, str(frame.size()) + " bytes"};
  auto table = segment_table_words(frame, limits.segment_count_max);
  if (!table)
    return std::move(table).error();
  uint64_t words = *table;
  if (frame.size() > words * word_size)
    return error{msg_errc::malformed, str(frame.size() - words * word_size)
                                        + " bytes after the message"};
  return static_cast<size_t>(words);
}

} // namespace

namespace {

template <class Variant>
void encode_into(const Variant& message, bytes& out) {
  size_t words = segment_words(message);
  out.clear();
  out.resize(word_size * (1 + words)); // zeroed, as a Cap'n Proto segment must be
  // operator new aligns to at least 16 bytes, so the segment after the 8-byte table is aligned.
  uint8_t* segment = out.data() + word_size;
  DYNFEED_ASSERT(reinterpret_cast<uintptr_t>(segment) % word_size == 0);
  // Kept in a scope of its own: the builder must be gone before `out` is handed back.
  {
    span_builder builder{kj::arrayPtr(reinterpret_cast<capnp::word*>(segment), words)};
    auto frame = builder.initRoot<wire::Frame>();
    std::visit([&](const auto& m) { put(m, frame); }, message);
    auto segments = builder.getSegmentsForOutput();
    DYNFEED_ASSERT(segments.size() == 1 && segments[0].size() == words);
  }
  // Segment table: (segment count - 1) = 0, then the one segment's size in words.
  std::memset(out.data(), 0, 4);
  for (int i = 0; i < 4; ++i)
    out[4 + i] = static_cast<uint8_t>(words >> (8 * i));
}

/// Checks the framing, then runs `read` on the Frame with Cap'n Proto's limits set; any
/// exception Cap'n Proto throws becomes an error here.
template <class T, class Read>
expected<T> read_frame(byte_span frame, const codec_limits& limits, Read read) {
  auto words = check_framing(frame, limits);
  if (!words)
    return std::move(words).error();
  aligned_words aligned{frame, *words};
  capnp::ReaderOptions options;
  options.traversalLimitInWords =
    std::min<uint64_t>(limits.traversal_words_max, traversal_per_frame_word_max * *words);
  options.nestingLimit = static_cast<int>(std::min<uint64_t>(limits.nesting_depth_max, INT_MAX));
  try {
    capnp::FlatArrayMessageReader reader{aligned.get(), options};
    return read(reader.getRoot<wire::Frame>());
  } catch (const kj::Exception& e) {
    return capnp_error(e, exception_context_size_max);
  }
}

} // namespace

bool is_referral_address(std::string_view address) {
  if (address.size() > referral_size_max)
    return false;
  auto parsed = endpoint::parse(address);
  return parsed && parsed->ip != 0 && parsed->port != 0 && parsed->to_string() == address;
}

size_t encoded_size(const wire_message& message) {
  return word_size * (1 + segment_words(message)); // the segment table takes one word
}

bytes encode(const wire_message& message) {
  bytes out;
  encode(message, out);
  return out;
}

void encode(const wire_message& message, bytes& out) {
  encode_into(message, out);
}

size_t encoded_size(const local_message& message) {
  return word_size * (1 + segment_words(message));
}

bytes encode(const local_message& message) {
  bytes out;
  encode(message, out);
  return out;
}

void encode(const local_message& message, bytes& out) {
  encode_into(message, out);
}

expected<wire_message> decode_wire(byte_span frame, const codec_limits& limits) {
  return read_frame<wire_message>(frame, limits, [&](wire::Frame::Reader root) -> expected<wire_message> {
    if (is_local_kind(root.which()))
      return error{msg_errc::local_only, "Frame member " + str(static_cast<uint16_t>(root.which()))};
    auto m = get_frame(root, limits);
    if (!m)
      return std::move(m).error();
    return std::get<wire_message>(std::move(*m));
  });
}

expected<std::optional<uint32_t>> wire_channel(byte_span frame, const codec_limits& limits) {
  using result = expected<std::optional<uint32_t>>;
  return read_frame<std::optional<uint32_t>>(frame, limits, [](wire::Frame::Reader root) -> result {
    switch (root.which()) {
      case wire::Frame::HELLO:
      case wire::Frame::BYE:
      case wire::Frame::OPEN_CHANNEL:
      case wire::Frame::CLOSE_CHANNEL:
        return std::optional<uint32_t>{};
      case wire::Frame::SYNC:
        return std::optional<uint32_t>{root.getSync().getChannel()};
      case wire::Frame::RANGE:
        return std::optional<uint32_t>{root.getRange().getChannel()};
      case wire::Frame::REQUEST:
        return std::optional<uint32_t>{root.getRequest().getChannel()};
      case wire::Frame::DATA:
        return std::optional<uint32_t>{root.getData().getChannel()};
      case wire::Frame::NO_DATA:
        return std::optional<uint32_t>{root.getNoData().getChannel()};
      case wire::Frame::CANCEL:
        return std::optional<uint32_t>{root.getCancel().getChannel()};
      case wire::Frame::VALUE_PUSH:
        return std::optional<uint32_t>{root.getValuePush().getChannel()};
      case wire::Frame::ID_PUSH:
        return std::optional<uint32_t>{root.getIdPush().getChannel()};
      case wire::Frame::EQUIVOCATION:
        return std::optional<uint32_t>{root.getEquivocation().getChannel()};
      case wire::Frame::INVALID:
        return error{msg_errc::malformed, "no message"};
      default: {
        auto member = "Frame member " + str(static_cast<uint16_t>(root.which()));
        if (is_local_kind(root.which()))
          return error{msg_errc::local_only, member};
        return error{msg_errc::unknown_kind, member};
      }
    }
  });
}

expected<message> decode(byte_span frame, const codec_limits& limits) {
  return read_frame<message>(frame, limits,
                             [&](wire::Frame::Reader root) { return get_frame(root, limits); });
}

expected<bool> is_local(byte_span frame, const codec_limits& limits) {
  return read_frame<bool>(frame, limits,
                          [](wire::Frame::Reader root) -> expected<bool> { return is_local_kind(root.which()); });
}

} // namespace dynfeed::msg
