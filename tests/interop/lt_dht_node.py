#!/usr/bin/python3
"""A Mainline DHT node of libtorrent (Debian's python3-libtorrent; an implementation
independent of dynfeed), driven by JSON lines on stdin, for tests/interop/run.sh. The same
protocol as bt_dht_node.mjs:

  /usr/bin/python3 lt_dht_node.py --listen IP:PORT [--bootstrap IP:PORT ...]

Port 0 picks one. Prints {"event":"listening","id":HEX,"address":"IP:PORT"} once its DHT runs,
then answers each stdin line (a JSON object with "op"; "tag" is echoed) with one JSON line:
  {"op":"put","seed":HEX,"salt":TEXT,"value":TEXT}  -> {"key":HEX,"seq":N,"stored":N}
  {"op":"get","key":HEX,"salt":TEXT}                -> {"found":B,"seq":N,"v":HEX,"text":TEXT}
  {"op":"get_peers","info_hash":HEX}                -> {"peers":["IP:PORT",...]}
  {"op":"announce",...}                             -> an error: the binding cannot call it
  {"op":"table"}                                    -> {"id":HEX,"nodes":[{"id","address"}]}
  {"op":"add_node","address":"IP:PORT"}             -> {}
libtorrent picks a put's seq itself (one more than the highest it finds in the DHT) and says
which. A failure answers {"error": TEXT}. End of stdin stops the node.

Loopback: every node here shares 127.0.0.0/8, which libtorrent's defaults distrust (one node
per IP prefix in the routing table and in a lookup, no bogon addresses, BEP 42 node IDs), so
those checks are off; so are LSD, UPnP, NAT-PMP and the public routers.
"""

import argparse
import hashlib
import json
import select
import sys
import time
import warnings

import libtorrent as lt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

GET_TIMEOUT_S = 30  # a libtorrent traversal ends well before this; a guard, not a wait
GET_PEERS_EMPTY_S = 5  # a get_peers lookup on 127.0.0.0/8 that found peers said so by then


def split_address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def keys_from_seed(seed):
    """libtorrent signs with the 64-byte expanded Ed25519 secret key (SHA-512 of the seed,
    clamped), and the public key is the standard one."""
    expanded = bytearray(hashlib.sha512(seed).digest())
    expanded[0] &= 248
    expanded[31] &= 63
    expanded[31] |= 64
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return bytes(expanded), public


def start_session(listen):
    cat = lt.alert.category_t
    settings = {
        "listen_interfaces": listen,
        "enable_dht": True,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "dht_bootstrap_nodes": "",
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_ignore_dark_internet": False,
        "dht_enforce_node_id": False,
        "dht_prefer_verified_node_ids": False,
        "alert_mask": cat.dht_notification | cat.dht_operation_notification
        | cat.status_notification | cat.error_notification,
    }
    return lt.session(settings)


def node_id(session):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dht_state() is deprecated, and the one way to ask
        ids = session.dht_state().get(b"node-id", [])
    return ids[0][:20] if ids else None


class harness:
    def __init__(self, session, address):
        self.session = session
        self.address = address
        self.pending = []  # (matcher, reply builder, command, deadline, answer at deadline)

    def reply(self, obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def wait_for(self, cmd, matcher, build, timeout_s=GET_TIMEOUT_S, otherwise=None):
        """Answers `cmd` with build(alert) for the first alert `matcher` accepts; after
        timeout_s, with `otherwise` if given, else with an error."""
        self.pending.append((matcher, build, cmd, time.monotonic() + timeout_s, otherwise))

    def run(self, cmd):
        op = cmd.get("op")
        s = self.session
        if op == "put":
            secret, public = keys_from_seed(bytes.fromhex(cmd["seed"]))
            salt = cmd.get("salt", "").encode()
            s.dht_put_mutable_item(secret, public, cmd["value"].encode(), salt)
            self.wait_for(cmd, lambda a: isinstance(a, lt.dht_put_alert)
                          and bytes(a.public_key) == public and a.salt.encode() == salt,
                          lambda a: {"key": public.hex(), "seq": a.seq,
                                     "stored": a.num_success})
        elif op == "get":
            key = bytes.fromhex(cmd["key"])
            salt = cmd.get("salt", "").encode()
            s.dht_get_mutable_item(key, salt)
            self.wait_for(cmd, lambda a: isinstance(a, lt.dht_mutable_item_alert)
                          and a.authoritative and bytes(a.key) == key
                          and a.salt.encode() == salt, self.item_reply)
        elif op == "get_peers":
            # libtorrent says nothing when a get_peers lookup finds no peers: after
            # GET_PEERS_EMPTY_S without an answer, the answer is "none found".
            info_hash = lt.sha1_hash(bytes.fromhex(cmd["info_hash"]))
            s.dht_get_peers(info_hash)
            self.wait_for(cmd, lambda a: isinstance(a, lt.dht_get_peers_reply_alert)
                          and a.info_hash == info_hash,
                          lambda a: {"peers": sorted({f"{ip}:{port}" for ip, port in a.peers()})},
                          GET_PEERS_EMPTY_S, {"peers": []})
        elif op == "announce":
            self.reply({"op": op, "tag": cmd.get("tag"), "error": "libtorrent's Python binding "
                        "does not expose dht_announce's flags type, so it cannot be called"})
        elif op == "table":
            nid = node_id(s)
            s.dht_live_nodes(lt.sha1_hash(nid))
            self.wait_for(cmd, lambda a: isinstance(a, lt.dht_live_nodes_alert),
                          lambda a: {"id": nid.hex(), "nodes": [
                              {"id": bytes(n["nid"].to_bytes()).hex(),
                               "address": f"{n['endpoint'][0]}:{n['endpoint'][1]}"}
                              for n in a.nodes]})
        elif op == "add_node":
            s.add_dht_node(split_address(cmd["address"]))
            self.reply({"op": op, "tag": cmd.get("tag")})
        else:
            self.reply({"op": op, "tag": cmd.get("tag"), "error": f"unknown op {op}"})

    @staticmethod
    def item_reply(a):
        if not a.item or "value" not in a.item:
            return {"found": False}
        value = a.item["value"]
        out = {"found": True, "seq": a.seq, "v": lt.bencode(value).hex()}
        if isinstance(value, bytes):
            out["text"] = value.decode(errors="replace")
        return out

    def on_alerts(self):
        now = time.monotonic()
        for a in self.session.pop_alerts():
            for i, (matcher, build, cmd, _, _) in enumerate(self.pending):
                if matcher(a):
                    del self.pending[i]
                    self.reply({"op": cmd["op"], "tag": cmd.get("tag"), **build(a)})
                    break
        for entry in [p for p in self.pending if p[3] < now]:
            self.pending.remove(entry)
            cmd, otherwise = entry[2], entry[4]
            answer = otherwise if otherwise is not None else {"error": "no answer from libtorrent"}
            self.reply({"op": cmd["op"], "tag": cmd.get("tag"), **answer})


def listening_port(session, host):
    """The UDP port libtorrent bound (the DHT shares it with uTP)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        session.wait_for_alert(100)
        for a in session.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert) and a.socket_type == lt.socket_type_t.utp:
                return a.port
            if isinstance(a, lt.listen_failed_alert):
                raise SystemExit(f"lt_dht_node: cannot listen on {host}: {a.message()}")
    raise SystemExit("lt_dht_node: libtorrent did not say where it listens")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    parser.add_argument("--bootstrap", action="append", default=[])
    args = parser.parse_args()
    host, _ = split_address(args.listen)
    session = start_session(args.listen)
    port = listening_port(session, host)
    for b in args.bootstrap:
        session.add_dht_node(split_address(b))
    deadline = time.monotonic() + 10
    while node_id(session) is None and time.monotonic() < deadline:
        session.wait_for_alert(100)
    h = harness(session, f"{host}:{port}")
    h.reply({"event": "listening", "id": node_id(session).hex(), "address": h.address})
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], 0.05)
        if ready:
            line = sys.stdin.readline()
            if not line:
                return
            if line.strip():
                cmd = None
                try:
                    cmd = json.loads(line)
                    h.run(cmd)
                except Exception as e:  # the harness outlives a bad command
                    h.reply({"tag": cmd.get("tag") if isinstance(cmd, dict) else None,
                             "error": f"bad command: {e}"})
        h.on_alerts()


if __name__ == "__main__":
    main()
