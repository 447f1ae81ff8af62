#!/usr/bin/python3
"""dynfeed against two independent Mainline DHT implementations on 127.0.0.0/8: the npm
package bittorrent-dht (bt_dht_node.mjs) and libtorrent (lt_dht_node.py). tests/interop/run.sh
installs what this needs and runs it; docs/tests.md says what each check proves.

Prints one line per check ("ok: ..." or "FAIL: ...: why") and exits 1 if any failed. Every
process it starts is in a session of its own and is killed when it ends, whatever happens.
Waits are bounded polls of the processes' answers, never sleeps standing in for a result.
DYNFEED_INTEROP_TRACE=1 prints each command sent to a reference node, with its time.
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Bounds, not delays: each wait ends as soon as its answer comes. They are generous because a
# lookup spends timeouts on the nodes that short-lived commands (value get, value put) left
# behind in routing tables: a libtorrent get took 19 s here after a few of those.
START_TIMEOUT_S = 20
ASK_TIMEOUT_S = 60     # one DHT operation of a reference node (it bounds its own lookups)
TABLE_TIMEOUT_S = 30   # for nodes to enter each other's routing tables
FIND_TIMEOUT_S = 90    # for an item or a seeder's announce to be found, asking again and again
COMMAND_TIMEOUT_S = 90 # one dynfeed command that ends by itself

SEED_BT = "11" * 32    # key seeds of the items the reference nodes put (any 32 bytes)
SEED_LT = "22" * 32
SEED_DYNFEED = "33" * 32
SALT = "interop"

processes = []
failures = []
TRACE = os.environ.get("DYNFEED_INTEROP_TRACE") == "1"  # print each command sent to a harness
STARTED = time.monotonic()


class check_failed(Exception):
    pass


def poll(what, fn, timeout_s, interval_s=0.25):
    """fn() until it returns something true, at most timeout_s; the last value otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            if not result:
                raise check_failed(f"{what}: not within {timeout_s} s")
            return result
        time.sleep(interval_s)


class process:
    """A child in a session of its own whose stdout lines arrive in a queue."""

    def __init__(self, name, argv, log_dir, stdin=False):
        self.name = name
        self.log_path = os.path.join(log_dir, name + ".log")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=open(self.log_path, "w"), text=True,
            start_new_session=True)
        processes.append(self)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout_s):
        try:
            line = self.lines.get(timeout=timeout_s)
        except queue.Empty:
            raise check_failed(f"{self.name} said nothing within {timeout_s} s")
        if line is None:
            raise check_failed(f"{self.name} exited ({self.proc.wait()}); see {self.log_path}")
        return line

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass


class reference_node(process):
    """A harness (bt_dht_node.mjs or lt_dht_node.py): JSON commands in, JSON answers out."""

    def __init__(self, name, argv, log_dir):
        super().__init__(name, argv, log_dir, stdin=True)
        hello = json.loads(self.next_line(START_TIMEOUT_S))
        if hello.get("event") != "listening":
            raise check_failed(f"{name} did not start: {hello}")
        self.id, self.address = hello["id"], hello["address"]
        self.tag = 0

    def ask(self, op, timeout_s=ASK_TIMEOUT_S, **args):
        if TRACE:
            print(f"  {time.monotonic() - STARTED:6.1f} s: {self.name} {op}", flush=True)
        self.tag += 1
        try:
            self.proc.stdin.write(json.dumps({"op": op, "tag": self.tag, **args}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise check_failed(f"{self.name} exited ({self.proc.wait()}); see {self.log_path}")
        deadline = time.monotonic() + timeout_s
        while True:
            answer = json.loads(self.next_line(max(0.1, deadline - time.monotonic())))
            if answer.get("tag") == self.tag:
                if "error" in answer:
                    raise check_failed(f"{self.name} {op}: {answer['error']}")
                return answer

    def table_ids(self):
        return {n["id"] for n in self.ask("table")["nodes"]}


def start_reference(kind, name, listen, bootstrap, args):
    boot = [a for b in bootstrap for a in ("--bootstrap", b)]
    if kind == "bittorrent-dht":
        argv = [args.node, os.path.join(HERE, "bt_dht_node.mjs"), "--modules", args.modules,
                "--listen", listen] + boot
    else:
        argv = [args.python, os.path.join(HERE, "lt_dht_node.py"), "--listen", listen] + boot
    return reference_node(name, argv, args.work)


def dynfeed(args, *argv, timeout_s=COMMAND_TIMEOUT_S):
    """Runs a dynfeed command that ends by itself; its stdout, or check_failed with stderr."""
    try:
        r = subprocess.run([args.dynfeed, *argv], capture_output=True, text=True,
                           timeout=timeout_s, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise check_failed(f"dynfeed {argv[0]} {argv[1]} did not end within {timeout_s} s")
    if r.returncode != 0:
        raise check_failed(f"dynfeed {' '.join(argv[:2])} exited {r.returncode}: "
                           f"{r.stderr.strip()[-400:]}")
    return r.stdout


def check(name, fn):
    started = time.monotonic()
    took = lambda: f"{time.monotonic() - started:.1f} s"
    try:
        detail = fn()
        print(f"ok: {name} ({(detail + '; ') if detail else ''}{took()})", flush=True)
        return True
    except Exception as e:  # a broken check must not stop the others, nor leave processes
        failures.append(name)
        print(f"FAIL: {name}: {e} ({took()})", flush=True)
        return False


def section(name, fn):
    """Runs a group of checks; only a failure of its own set-up is reported here."""
    try:
        fn()
    except Exception as e:
        failures.append(name)
        print(f"FAIL: {name}: set-up: {e}", flush=True)


def expect_item(answer, text, who, seq=None):
    if not answer.get("found"):
        raise check_failed(f"{who} found no item")
    if answer.get("text") != text or (seq is not None and answer.get("seq") != seq):
        raise check_failed(f"{who} read {answer}, expected the text {text!r}, seq {seq}")
    return f"seq {answer['seq']}"


# ---- the reference implementations with each other -------------------------------------------

def reference_pair(args):
    bt = start_reference("bittorrent-dht", "ref-bt", "127.0.0.2:0", [], args)
    lt = start_reference("libtorrent", "ref-lt", "127.0.0.3:0", [bt.address], args)
    bt.ask("add_node", address=lt.address)

    def both_know():
        return lt.id in bt.table_ids() and bt.id in lt.table_ids()
    check("references: bittorrent-dht and libtorrent enter each other's routing tables",
          lambda: poll("tables", both_know, TABLE_TIMEOUT_S) and None)

    def bt_to_lt():
        put = bt.ask("put", seed=SEED_BT, salt=SALT, seq=1, value="from bittorrent-dht")
        return expect_item(poll("libtorrent get", lambda: _found(lt.ask(
            "get", key=put["key"], salt=SALT)), FIND_TIMEOUT_S), "from bittorrent-dht", "libtorrent")
    check("references: an item put by bittorrent-dht is read by libtorrent", bt_to_lt)

    def lt_to_bt():
        put = lt.ask("put", seed=SEED_LT, salt=SALT, value="from libtorrent")
        return expect_item(poll("bittorrent-dht get", lambda: _found(bt.ask(
            "get", key=put["key"], salt=SALT)), FIND_TIMEOUT_S), "from libtorrent", "bittorrent-dht")
    check("references: an item put by libtorrent is read by bittorrent-dht", lt_to_bt)
    bt.stop()
    lt.stop()


def _found(answer):
    return answer if answer.get("found") else None


# ---- dynfeed with one implementation ----------------------------------------------------------

def with_dynfeed(kind, ips, args):
    """Two nodes of `kind` (on ips[0], ips[1]), then dynfeed's commands and a dynfeed DHT node
    joining through the first."""
    label = kind
    first = start_reference(kind, f"{kind}-1", f"{ips[0]}:0", [], args)
    second = start_reference(kind, f"{kind}-2", f"{ips[1]}:0", [first.address], args)
    first.ask("add_node", address=second.address)
    poll(f"{kind} nodes meeting", lambda: second.id in first.table_ids(), TABLE_TIMEOUT_S)
    boot = ["--bootstrap", first.address]

    # Their item, before any dynfeed node is in this network: only their answers can carry it.
    def theirs_read_by_dynfeed():
        text = f"from {kind}"
        put = second.ask("put", seed=SEED_BT if kind == "bittorrent-dht" else SEED_LT, salt=SALT,
                         seq=1, value=text)
        if put.get("stored", 1) < 1:
            raise check_failed(f"{kind} stored its item nowhere: {put}")
        out = dynfeed(args, "value", "get", put["key"], *boot, "--salt", SALT, "--json",
                      "--timeout", "30", "--quiet")
        got = json.loads(out.splitlines()[0])
        seq = put.get("seq", 1)  # libtorrent picks its seq and says which
        if got.get("text") != text or got.get("seq") != seq or got.get("from") != "dht":
            raise check_failed(f"dynfeed read {got}, expected {text!r} from the DHT, seq {seq}")
        return f"seq {got['seq']}"
    check(f"{label}: a mutable item it put is read by `dynfeed value get --bootstrap`",
          theirs_read_by_dynfeed)

    def not_a_string_shown_bencoded():
        v = b"d4:listli1ei2ee4:name7:dynfeede".hex()  # {"list": [1, 2], "name": "dynfeed"}
        put = second.ask("put", seed=SEED_BT, salt="dictionary", seq=1, v=v)
        out = dynfeed(args, "value", "get", put["key"], *boot, "--salt", "dictionary", "--json",
                      "--timeout", "30", "--quiet")
        got = json.loads(out.splitlines()[0])
        if got.get("value") != v or got.get("bencoded") is not True or "text" in got:
            raise check_failed(f"dynfeed read {got}, expected the bencoded value {v}")
        return "shown as bencoded hex"
    if kind == "bittorrent-dht":  # libtorrent's Python binding puts byte strings only
        check(f"{label}: an item whose v is a dictionary is read by `dynfeed value get`",
              not_a_string_shown_bencoded)

    table_path = os.path.join(args.work, f"table-{kind}.json")
    node = process(f"dynfeed-dht-{kind}", [args.dynfeed, "dht", "--listen", "127.0.0.1:0",
                                             *boot, "--table", table_path, "--quiet"], args.work)
    dynfeed_id = node.next_line(START_TIMEOUT_S).strip()
    node.next_line(START_TIMEOUT_S)  # listening on ...

    def dynfeed_table():
        try:
            with open(table_path) as f:
                return {n["id"] for n in json.load(f)["nodes"]}
        except (OSError, ValueError, KeyError):
            return set()
    check(f"{label}: its nodes enter dynfeed's routing table",
          lambda: poll("dynfeed's table", lambda: {first.id, second.id} <= dynfeed_table(),
                       TABLE_TIMEOUT_S) and None)
    check(f"{label}: dynfeed's node enters its routing table",
          lambda: poll(f"{kind}'s table", lambda: dynfeed_id in first.table_ids(),
                       TABLE_TIMEOUT_S) and None)

    def ours_read_by_them():
        keydir = os.path.join(args.work, f"values-{kind}")
        key = dynfeed(args, "value", "create", keydir, "--keypair-seed", SEED_DYNFEED).strip()
        text = f"from dynfeed to {kind}"
        out = dynfeed(args, "value", "put", keydir, text, *boot, "--salt", SALT)
        stored = re.search(r"stored by (\d+)", out)
        if not out.startswith("1\n") or not stored or int(stored.group(1)) < 1:
            raise check_failed(f"dynfeed value put said {out!r}")
        return expect_item(poll(f"{kind} get", lambda: _found(first.ask(
            "get", key=key, salt=SALT)), FIND_TIMEOUT_S), text, kind, seq=1)
    check(f"{label}: a mutable item put by `dynfeed value put --bootstrap` is read by it",
          ours_read_by_them)

    def seeder_found():
        feed = os.path.join(args.work, f"feed-{kind}")
        dynfeed(args, "create", feed)
        subprocess.run([args.dynfeed, "append", feed], input="a block\n", text=True, check=True,
                       capture_output=True)
        info = json.loads(dynfeed(args, "info", feed, "--json"))
        info_hash = info["discoveryKey"][:40]  # docs/discovery.md: a topic's first 20 bytes
        seeder = process(f"dynfeed-seed-{kind}", [args.dynfeed, "seed", feed, "--listen",
                                                  "127.0.0.1:0", *boot, "--quiet"], args.work)
        seeder.next_line(START_TIMEOUT_S)  # the key
        listening = seeder.next_line(START_TIMEOUT_S)
        address = listening.rsplit(" ", 1)[-1]
        poll(f"{kind} get_peers finding {address}",
             lambda: address in first.ask("get_peers", info_hash=info_hash)["peers"],
             FIND_TIMEOUT_S, interval_s=1)
        seeder.stop()
        return f"{address} under {info_hash}"
    check(f"{label}: a `dynfeed seed --bootstrap` seeder is found by its get_peers",
          seeder_found)
    for p in (node, first, second):
        p.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dynfeed", required=True)
    parser.add_argument("--modules", required=True, help="node_modules with bittorrent-dht")
    parser.add_argument("--work", required=True, help="a scratch directory (logs, stores)")
    parser.add_argument("--node", default="/usr/bin/node")
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--only", choices=["references", "bittorrent-dht", "libtorrent"])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        if args.only in (None, "references"):
            section("references", lambda: reference_pair(args))
        if args.only in (None, "bittorrent-dht"):
            section("bittorrent-dht", lambda: with_dynfeed(
                "bittorrent-dht", ["127.0.0.2", "127.0.0.3"], args))
        if args.only in (None, "libtorrent"):
            section("libtorrent", lambda: with_dynfeed(
                "libtorrent", ["127.0.0.4", "127.0.0.5"], args))
    finally:
        for p in processes:
            p.stop()
    if failures:
        print(f"interop: {len(failures)} check(s) failed (logs in {args.work})", flush=True)
        return 1
    print("interop: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
