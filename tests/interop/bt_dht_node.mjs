// A Mainline DHT node of the npm package `bittorrent-dht` (an implementation independent of
// dynfeed), driven by JSON lines on stdin, for tests/interop/run.sh. Nothing here is dynfeed code:
// it is the reference the interop test compares dynfeed against.
//
//   node bt_dht_node.mjs --modules DIR --listen IP:PORT [--bootstrap IP:PORT ...]
//
// DIR is a node_modules directory holding bittorrent-dht and ed25519-supercop (run.sh installs
// them into a temporary directory). Port 0 picks one. Prints one JSON line when it listens:
//   {"event":"listening","id":HEX,"address":"IP:PORT"}
// then answers each stdin line (a JSON object with "op"; "tag" is echoed) with one JSON line:
//   {"op":"put","seed":HEX,"salt":TEXT,"seq":N,"value":TEXT}  -> {"key":HEX,"target":HEX,"stored":N}
//     ("v":HEX instead of "value": the item's v given bencoded, any bencoded object)
//   {"op":"get","key":HEX,"salt":TEXT}                         -> {"found":B,"seq":N,"v":HEX,"text":TEXT}
//   {"op":"get_peers","info_hash":HEX}                         -> {"peers":["IP:PORT",...]}
//   {"op":"announce","info_hash":HEX,"port":N}                 -> {"stored":N}
//   {"op":"table"}                                             -> {"id":HEX,"nodes":[{"id","address"}]}
//   {"op":"add_node","address":"IP:PORT"}                      -> {}
// "v" is the item's value as bencoded on the wire (hex); "text" is present when v is a byte
// string. A failure answers {"error": TEXT}. End of stdin stops the node.

import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import path from 'node:path'
import readline from 'node:readline'

function parse_args (argv) {
  const out = { bootstrap: [] }
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]]
    if (value === undefined) throw new Error(`${name} needs a value`)
    if (name === '--modules') out.modules = value
    else if (name === '--listen') out.listen = value
    else if (name === '--bootstrap') out.bootstrap.push(value)
    else throw new Error(`unknown option ${name}`)
  }
  if (!out.modules || !out.listen) throw new Error('--modules and --listen are required')
  return out
}

function split_address (text) {
  const colon = text.lastIndexOf(':')
  if (colon < 0) throw new Error(`not IP:PORT: ${text}`)
  return { host: text.slice(0, colon), port: Number(text.slice(colon + 1)) }
}

const args = parse_args(process.argv.slice(2))
const require = createRequire(path.join(path.resolve(args.modules), 'noop.js'))
const ed = require('ed25519-supercop')
const module_url = (name) => pathToFileURL(path.join(path.resolve(args.modules), name, 'index.js')).href
const { default: DHT } = await import(module_url('bittorrent-dht'))
const { default: bencode } = await import(module_url('bencode'))

const listen = split_address(args.listen)
const dht = new DHT({
  bootstrap: args.bootstrap.length ? args.bootstrap : false,
  // bencode hands Uint8Arrays, which ed25519-supercop refuses: Buffers over the same bytes.
  verify: (sig, msg, k) => ed.verify(Buffer.from(sig), Buffer.from(msg), Buffer.from(k)),
  host: listen.host
})
dht.on('error', (err) => { reply({ event: 'error', error: String(err) }); process.exit(1) })

function reply (obj) { process.stdout.write(JSON.stringify(obj) + '\n') }
const hex = (buf) => Buffer.from(buf).toString('hex')
const salt_of = (cmd) => (cmd.salt ? Buffer.from(cmd.salt) : undefined)

function put (cmd, done) {
  const keys = ed.createKeyPair(Buffer.from(cmd.seed, 'hex'))
  const opts = {
    k: keys.publicKey,
    seq: cmd.seq,
    v: cmd.v !== undefined ? bencode.decode(Buffer.from(cmd.v, 'hex')) : Buffer.from(cmd.value),
    salt: salt_of(cmd),
    sign: (buf) => ed.sign(Buffer.from(buf), keys.publicKey, keys.secretKey)
  }
  dht.put(opts, (err, target, stored) => {
    if (err) return done({ error: String(err) })
    done({ key: hex(keys.publicKey), target: hex(target), stored })
  })
}

function get (cmd, done) {
  const k = Buffer.from(cmd.key, 'hex')
  const salt = salt_of(cmd)
  const target = dht._hash(salt ? Buffer.concat([k, salt]) : k)
  // cache: false asks the network even when this node stores the item itself.
  dht.get(target, { salt, cache: false }, (err, res) => {
    if (err) return done({ error: String(err) })
    if (!res) return done({ found: false })
    const out = { found: true, seq: res.seq, v: hex(bencode.encode(res.v)) }
    if (Buffer.isBuffer(res.v) || res.v instanceof Uint8Array) out.text = Buffer.from(res.v).toString()
    done(out)
  })
}

function get_peers (cmd, done) {
  const info_hash = Buffer.from(cmd.info_hash, 'hex')
  const peers = new Set()
  const on_peer = (peer, hash) => {
    if (Buffer.from(hash).equals(info_hash)) peers.add(`${peer.host}:${peer.port}`)
  }
  dht.on('peer', on_peer)
  dht.lookup(info_hash, (err) => {
    dht.removeListener('peer', on_peer)
    if (err) return done({ error: String(err) })
    done({ peers: [...peers] })
  })
}

function table () {
  return {
    id: hex(dht.nodeId),
    nodes: dht.nodes.toArray().map((n) => ({ id: hex(n.id), address: `${n.host}:${n.port}` }))
  }
}

function run (cmd, done) {
  switch (cmd.op) {
    case 'put': return put(cmd, done)
    case 'get': return get(cmd, done)
    case 'get_peers': return get_peers(cmd, done)
    case 'announce':
      return dht.announce(Buffer.from(cmd.info_hash, 'hex'), cmd.port, (err, stored) =>
        done(err ? { error: String(err) } : { stored }))
    case 'table': return done(table())
    case 'add_node': {
      const a = split_address(cmd.address)
      dht.addNode({ host: a.host, port: a.port })
      return done({})
    }
    default: return done({ error: `unknown op ${cmd.op}` })
  }
}

dht.listen(listen.port, listen.host, () => {
  const a = dht.address()
  reply({ event: 'listening', id: hex(dht.nodeId), address: `${a.address}:${a.port}` })
  const lines = readline.createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (!line.trim()) return
    let cmd
    try { cmd = JSON.parse(line) } catch (err) { return reply({ error: `not JSON: ${err}` }) }
    try {
      run(cmd, (out) => reply({ op: cmd.op, tag: cmd.tag, ...out }))
    } catch (err) {
      reply({ op: cmd.op, tag: cmd.tag, error: String(err) })
    }
  })
  lines.on('close', () => dht.destroy(() => process.exit(0)))
})
