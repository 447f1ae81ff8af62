@0xeb07082370988b19;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dynfeed::wire");  # seen only by messages/codec.cpp

# dynfeed's wire format: what peers send each other, one Frame per network frame.
#
# A frame is exactly one Cap'n Proto message in the standard unpacked framing:
#
#   u32 segment count - 1, u32 word count of each segment, zero padding to a whole word,
#   then the segments, each a whole number of 8-byte words, all little-endian.
#
# The root is a Frame. dynfeed writes a single segment, so its frames start with eight bytes
# (0, the word count) and then the message; it accepts a few segments from other writers
# (codec_limits::segment_count_max). The transport delimits frames; a frame must end exactly
# where its last segment ends. Every list, blob and text has a maximum (codec_limits), and the
# decoder reads at most twice the words the frame holds, so a frame cannot balloon while decoded
# (through pointers that share their target).
#
# Compatibility rules, which keep old and new builds able to talk:
# - Frame is one union whose member ordinals are also its discriminants on the wire. Members
#   are only ever appended, taking the next ordinal; none is renumbered, reordered or removed
#   (a retired member keeps its ordinal and is renamed obsoleteSomething). Cap'n Proto forbids
#   gaps in ordinals, so areas do not get number ranges: the comment on each member names its
#   area (wire, signed value, DHT, tracker, local), and the codec maps members to structs by
#   name, never by position.
# - A reader that meets a member it does not know refuses the frame with `unknown_kind` (the
#   codec reports the discriminant); the connection decides whether to skip it or hang up. New
#   peer-to-peer kinds are therefore sent only to peers whose hello announced a protocol
#   version that knows them.
# - Fields are only appended to a struct, with the next ordinal, and a new field's zero value
#   must mean what old builds did. Never change a field's type.
# - Fixed-size byte fields (hashes: 32 bytes, signatures: 64) are Data, because Cap'n Proto has
#   no fixed-size blob; the decoder refuses any other length.
# - An absent optional part (a proof's block or upgrade) is a null pointer.

struct Frame {
  union {
    invalid @0 :Void;
    # An empty or all-zero message decodes to this; it is never sent and always refused.

    # ---- wire: peer to peer (messages.hpp) ------------------------------------------------
    hello @1 :Hello;
    bye @2 :Bye;
    openChannel @3 :OpenChannel;
    closeChannel @4 :CloseChannel;
    sync @5 :Sync;
    range @6 :Range;
    request @7 :Request;
    data @8 :DataMessage;
    noData @9 :NoData;
    cancel @10 :Cancel;

    # ---- local: component to component inside one node; never sent to or accepted from a
    # peer (messages.hpp) --------------------------------------------------------------------
    findFeed @11 :FindFeed;
    feedUnknown @12 :FeedUnknown;
    offerPeer @13 :OfferPeer;
    attach @14 :Attach;
    detach @15 :Detach;
    channelUp @16 :ChannelUp;
    channelDown @17 :ChannelDown;
    punish @18 :Punish;
    peerUp @19 :PeerUp;
    peerDown @20 :PeerDown;

    # ---- wire: signed values -------------------------------------------------------------
    valuePush @21 :ValuePush;

    # ---- local: signed values and the dynamic feed protocol -------------------------------
    publishValue @22 :PublishValue;
    subscribeValues @23 :Void;
    valueUpdate @24 :ValueUpdate;
    setMode @25 :SetMode;
    rotateSwarm @26 :RotateSwarm;

    # ---- local: discovery ------------------------------------------------------------------
    findPeers @27 :FindPeers;
    peersFound @28 :PeersFound;
    stopFinding @29 :StopFinding;
    dial @30 :Text;         # swarm -> node: the address to connect to
    hangUp @31 :Text;       # swarm -> node: this swarm no longer needs its connection there

    # ---- wire: the relay ID channel (on a feed's channel, in an ID swarm) ------------------
    idPush @32 :ValuePush;
    # A signed ID announcement of the feed (the value feed feed/dynamic.hpp's id_announcements
    # defines), relayed from peer to peer inside the ID swarms: no other swarm is needed.

    # ---- local: the ID channels ------------------------------------------------------------
    offerValue @33 :OfferValue;   # feed service -> publisher: a peer pushed this value to me
    subscribeSigned @34 :Void;    # -> publisher: send signedUpdate for every value accepted
    signedUpdate @35 :OfferValue; # publisher -> subscriber: accepted, signatures included

    # ---- wire: feeds -----------------------------------------------------------------------
    equivocation @36 :Equivocation;

    # ---- local: the dht ID channel (BEP 44 items through the discovery component) ----------
    putItem @37 :DhtItem;     # -> DHT: put this mutable item now and again before it expires
    watchItem @38 :DhtItem;   # -> DHT: poll (k, salt) for items newer than seq
    pollItem @39 :DhtItem;    # -> DHT: poll (k, salt) now
    stopItem @40 :DhtItem;    # -> DHT: stop watching and re-putting (k, salt) for me
    itemFound @41 :DhtItem;   # DHT -> watcher: a newer valid item of (k, salt)
    useDht @42 :UseDht;       # node -> feed service: carry ID announcements through the DHT

    # ---- local: referrals (a full node's bye names other peers to try) ---------------------
    referred @43 :List(Text);  # peer -> node: the remote refused my dial, referring me here
    referralTaken @44 :Void;   # node -> peer: noted; the peer may end now

    # Next free ordinal: @45.
  }
}

# ---- feed proofs (feed/proof.hpp) ---------------------------------------------------------

struct TreeNode {
  index @0 :UInt64;
  size @1 :UInt64;  # bytes of data under the node
  hash @2 :Data;    # 32 bytes
}

struct BlockRequest {
  index @0 :UInt64;
  nodes @1 :UInt64;
  count @2 :UInt64;
}

struct UpgradeRequest {
  start @0 :UInt64;
  length @1 :UInt64;
}

struct ProofRequest {
  fork @0 :UInt64;
  block @1 :BlockRequest;      # null: no block requested
  upgrade @2 :UpgradeRequest;  # null: no upgrade requested
}

struct BlockProof {
  index @0 :UInt64;
  values @1 :List(Data);   # the chunk's blocks, in order
  nodes @2 :List(TreeNode);
}

struct UpgradeProof {
  start @0 :UInt64;
  length @1 :UInt64;
  nodes @2 :List(TreeNode);
  additionalNodes @3 :List(TreeNode);
  signedLength @4 :UInt64;
  signature @5 :Data;  # 64 bytes
}

struct Proof {
  fork @0 :UInt64;
  block @1 :BlockProof;      # null: no block
  upgrade @2 :UpgradeProof;  # null: no upgrade
}

# A writer-signed tree (feed/tree.hpp).
struct SignedTree {
  fork @0 :UInt64;
  length @1 :UInt64;
  roots @2 :List(TreeNode);  # at most 63, the canonical roots of length
  signature @3 :Data;        # 64 bytes
}

# ---- wire messages ------------------------------------------------------------------------

struct Hello {
  version @0 :UInt16;
  frameSizeMax @1 :UInt32;
  userAgent @2 :Text;
  listenPort @3 :UInt16;
  # The port the sender accepts connections on, at the address the connection comes from; 0:
  # it accepts none (behind NAT, or not listening). Bits 16-31 of the data word, which
  # version and frameSizeMax left free: the frame's size did not change.
}

struct Bye {
  code @0 :UInt16;
  reason @1 :Text;
  referrals @2 :List(Text);
  # With code too_many_peers: at most 8 addresses ("a.b.c.d:port") of the sender's peers for
  # the dialler to try instead. A bye without referrals is written without this pointer, the
  # size it had before the field existed.
}

struct OpenChannel {
  channel @0 :UInt32;
  discoveryKey @1 :Data;  # 32 bytes
  capability @2 :Data;    # 32 bytes
}

struct CloseChannel {
  channel @0 :UInt32;
}

struct Sync {
  channel @0 :UInt32;
  fork @1 :UInt64;
  length @2 :UInt64;
  holdsId @3 :Bool; # the sender holds a signed ID (relay): a peer that holds one tells it
}

struct Range {
  channel @0 :UInt32;
  start @1 :UInt64;
  length @2 :UInt64;
  drop @3 :Bool;
}

struct Request {
  channel @0 :UInt32;
  id @1 :UInt64;
  body @2 :ProofRequest;
}

# Named DataMessage because Data is Cap'n Proto's blob type.
struct DataMessage {
  channel @0 :UInt32;
  id @1 :UInt64;
  body @2 :Proof;
}

struct NoData {
  channel @0 :UInt32;
  id @1 :UInt64;
  reason @2 :UInt16;
}

struct Cancel {
  channel @0 :UInt32;
  id @1 :UInt64;
}

# Proof that the feed's writer signed two trees that cannot both be true
# (feed/equivocation.hpp): both trees, and the node at `index` in each with its path, bottom-up,
# to one of that tree's roots. Each list holds at most 63 nodes.
struct Equivocation {
  channel @0 :UInt32;
  key @1 :Data;  # 32 bytes: the writer's public key
  treeA @2 :SignedTree;
  treeB @3 :SignedTree;
  index @4 :UInt64;
  pathA @5 :List(TreeNode);
  pathB @6 :List(TreeNode);
}

# ---- local messages (component to component) ----------------------------------------------

struct FindFeed {
  discoveryKey @0 :Data;  # 32 bytes
  listenPort @1 :UInt16;  # the remote's hello: where it accepts connections (0: nowhere)
}

struct FeedUnknown {
  discoveryKey @0 :Data;  # 32 bytes
}

struct OfferPeer {
  peer @0 :UInt64;
}

struct Attach {
  key @0 :Data;           # 32 bytes
  discoveryKey @1 :Data;  # 32 bytes
}

struct Detach {
  discoveryKey @0 :Data;  # 32 bytes
}

struct ChannelUp {
  channel @0 :UInt32;
  remoteNode @1 :Data;    # 32 bytes
  initiator @2 :Bool;     # this side dialed the connection
}

struct ChannelDown {
  reason @0 :UInt16;
}

struct Punish {
  reason @0 :UInt16;
  detail @1 :Text;
  referrals @2 :List(Text);  # for the bye (too_many_peers)
}

struct PeerUp {
  peer @0 :UInt64;
  remoteNode @1 :Data;    # 32 bytes
  address @2 :Text;
  outbound @3 :Bool;
}

struct PeerDown {
  peer @0 :UInt64;
  address @1 :Text;
  reason @2 :UInt16;
  referrals @3 :List(Text);  # where the refusing node referred us (its bye)
}

# ---- signed values (feed/signed_value.hpp) -------------------------------------------------

struct ValueSignature {
  signer @0 :UInt32;     # index into the value feed's signers
  signature @1 :Data;    # 64 bytes
}

struct ValuePush {
  channel @0 :UInt32;
  seq @1 :UInt64;
  value @2 :Data;
  signatures @3 :List(ValueSignature);
}

struct PublishValue {
  value @0 :Data;
  seq @1 :UInt64;   # 0 (unless seqGiven): one past the held value
  seqGiven @2 :Bool;
}

struct ValueUpdate {
  seq @0 :UInt64;
  value @1 :Data;
}

struct SetMode {
  mode @0 :UInt8;         # a feed_mode
  publisher @1 :UInt64;
  node @2 :UInt64;
  idChannels @3 :UInt8;   # an id_channels set; 0: the value swarm only, as before it existed
}

# A signed value and the peer component it came from (0: none, e.g. the node's own).
struct OfferValue {
  peer @0 :UInt64;
  seq @1 :UInt64;
  value @2 :Data;
  signatures @3 :List(ValueSignature);
}

# A BEP 44 mutable item, or the (k, salt) of one, for the dht ID channel's local messages.
struct DhtItem {
  k @0 :Data;             # 32 bytes
  salt @1 :Data;          # at most 64 bytes
  seq @2 :Int64;
  v @3 :Data;             # bencoded, at most 1000 bytes; empty when only (k, salt) matters
  sig @4 :Data;           # 64 bytes, or empty when only (k, salt) matters
  intervalMs @5 :UInt64;  # watchItem: the poll interval
  jitterMs @6 :UInt64;    # watchItem: each wait is interval +- up to jitter
}

struct UseDht {
  discovery @0 :UInt64;   # the DHT component
  pollIntervalMs @1 :UInt64;
  pollJitterMs @2 :UInt64;
}

struct RotateSwarm {
  leave @0 :Data;         # 32 bytes; all zero: none
  join @1 :Data;          # 32 bytes
}

# ---- discovery (proto/discovery.hpp) ------------------------------------------------------

struct FindPeers {
  topic @0 :Data;         # 32 bytes
  announce @1 :Bool;
}

struct PeersFound {
  topic @0 :Data;         # 32 bytes
  addresses @1 :List(Text);
}

struct StopFinding {
  topic @0 :Data;         # 32 bytes
}
