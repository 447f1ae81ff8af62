@0x8d8a28c21bcb6d50;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dynfeed::wire_dht");  # seen only by messages/dht_codec.cpp

# The DHT's datagrams (proto/dht.hpp): one Rpc per datagram, Kademlia's RPCs in the shape of
# BitTorrent's DHT (BEP 5) and its signed items (BEP 44), with 256-bit node IDs.
#
# A datagram is exactly one Cap'n Proto message in the standard unpacked framing (as in
# wire.capnp): u32 segment count - 1, u32 word count per segment, padding to a whole word, the
# segments. dynfeed writes a single segment; the datagram must end where its last segment ends.
# Every list, blob and text has a maximum (dht_limits in dht_codec.hpp), and the decoder reads
# at most twice the words the datagram holds.
#
# Sizes: a node is 48 bytes (its 32-byte ID, an IPv4 address and a port), so a response with 20
# nodes and 32 peers stays near 1,300 bytes, inside one unfragmented UDP packet. Only values
# (up to datagram_size_max in messages/limits.hpp, 8 KiB) may be larger.
#
# Compatibility: the rules of wire.capnp. Members of the union and fields of structs are only
# appended; a reader refuses a member it does not know (unknown_kind). Fixed-size byte fields
# (IDs, keys: 32 bytes, signatures: 64) are Data, and the decoder refuses any other length.

struct Rpc {
  transaction @0 :UInt64;  # chosen by the querier at random; the response repeats it
  sender @1 :Data;         # 32 bytes: the sender's node ID

  union {
    invalid @2 :Void;      # an empty message decodes to this; always refused

    # ---- queries ---------------------------------------------------------------------------
    ping @3 :Void;
    findNode @4 :FindNode;
    getPeers @5 :GetPeers;
    announce @6 :Announce;
    getValue @7 :GetValue;
    putValue @8 :PutValue;

    # ---- responses -------------------------------------------------------------------------
    ack @9 :Void;          # to ping, and to an announce or put that was stored
    nodes @10 :Nodes;      # to find_node
    peers @11 :Peers;      # to get_peers
    value @12 :Value;      # to get_value
    error @13 :Error;      # to any query that was refused

    # Next free ordinal: @14.
  }
}

struct Node {
  id @0 :Data;     # 32 bytes
  ip @1 :UInt32;   # IPv4, host byte order
  port @2 :UInt16;
}

struct Peer {
  ip @0 :UInt32;
  port @1 :UInt16;
}

# A value feed's definition (feed/signed_value.hpp): its id() is the DHT target of its values.
struct FeedDef {
  format @0 :UInt8;        # a value_format
  threshold @1 :UInt32;
  signers @2 :List(Data);  # 32 bytes each
  salt @3 :Data;
}

struct ValueSignature {
  signer @0 :UInt32;       # index into the definition's signers
  signature @1 :Data;      # 64 bytes
}

struct SignedValue {
  seq @0 :UInt64;
  value @1 :Data;
  signatures @2 :List(ValueSignature);
}

struct FindNode {
  target @0 :Data;  # 32 bytes
}

struct GetPeers {
  topic @0 :Data;   # 32 bytes
}

# Store the sender as a peer of `topic`: its address as the responder sees it, with `port`.
struct Announce {
  topic @0 :Data;   # 32 bytes
  port @1 :UInt16;
  token @2 :Data;   # from the responder's answer to get_peers
}

struct GetValue {
  target @0 :Data;  # 32 bytes: a value feed's id()
}

# Store a signed value under its feed's id().
struct PutValue {
  feed @0 :FeedDef;
  value @1 :SignedValue;
  hasCas @2 :Bool;
  cas @3 :UInt64;   # with hasCas: the seq the sender expects the responder to hold
  token @4 :Data;   # from the responder's answer to get_value
}

struct Nodes {
  nodes @0 :List(Node);
}

struct Peers {
  token @0 :Data;
  peers @1 :List(Peer);
  nodes @2 :List(Node);
}

struct Value {
  token @0 :Data;
  nodes @1 :List(Node);
  feed @2 :FeedDef;       # null: the responder holds no value for the target
  value @3 :SignedValue;  # set exactly when feed is
}

struct Error {
  code @0 :UInt16;  # BEP 5 (201 generic, 202 server, 203 protocol, 204 method) and BEP 44
  message @1 :Text;
}
