@0xa4812cbdb606fbcd;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("dynfeed::tracker_wire");  # seen only by messages/tracker_codec.cpp

# The tracker protocol: what a tracker client and a tracker server (proto/tracker.hpp) send each
# other, one TrackerPacket per UDP datagram. Separate from wire.capnp: trackers speak datagrams,
# not the framed peer-to-peer stream, and neither schema's evolution should wait for the other.
#
# A datagram is exactly one Cap'n Proto message in the standard unpacked framing (u32 segment
# count - 1, u32 word count per segment, padding to a whole word, the segments). dynfeed writes
# one segment; a datagram must end exactly where its last segment ends. Every list, blob and
# text has a maximum (msg::tracker::limits), and the decoder reads at most twice the words the
# datagram holds.
#
#   client -> server: lookup{topic, port}           server -> client: lookupReply{peers, token}
#   client -> server: announce{topic, port, token}  server -> client: announceReply
#   server -> client: error{code, message}          (instead of either reply)
#
# The client picks a random transaction number for each request; the reply carries it back, and
# the client accepts a reply only from the address it asked, with a number it is waiting for.
#
# Compatibility rules (as in wire.capnp): union members and struct fields are only appended,
# with the next ordinal; a new field's zero value must mean what old builds did; a reader that
# meets a union member it does not know refuses the datagram with `unknown_kind`.

struct TrackerPacket {
  transaction @0 :UInt64;
  union {
    invalid @1 :Void;
    # An empty or all-zero message decodes to this; it is never sent and always refused.
    lookup @2 :Lookup;
    lookupReply @3 :LookupReply;
    announce @4 :Announce;
    announceReply @5 :AnnounceReply;
    error @6 :Error;
    # Next free ordinal: @7.
  }
}

# An IPv4 address (host byte order: 127.0.0.1 is 0x7f000001) and a port.
struct Peer {
  ip @0 :UInt32;
  port @1 :UInt16;
}

struct Lookup {
  topic @0 :Data;      # 32 bytes
  port @1 :UInt16;     # the asker's own announced port, left out of the reply; 0: none
}

struct LookupReply {
  peers @0 :List(Peer);
  token @1 :Data;      # proves the asker receives at its address; announces must carry it
  observedIp @2 :UInt32;  # the asker's address as the server saw it
}

struct Announce {
  topic @0 :Data;      # 32 bytes
  port @1 :UInt16;     # where the announcer accepts connections; never 0
  token @2 :Data;      # from a recent lookupReply to the same address
}

struct AnnounceReply {
}

struct Error {
  code @0 :UInt16;     # a msg::tracker::error_code
  message @1 :Text;    # for logs only
}
