// Writes tests/data/hypercore-fork.json: what the reference implementation (the `hypercore`
// package, compat key mode) signs after appends and truncations, for tests/core/fork_test.cpp.
//
//   mkdir -p /tmp/hc && cd /tmp/hc && npm install hypercore@11
//   NODE_PATH=/tmp/hc/node_modules node tests/vectors/make_fork_vectors.js tests/data/hypercore-fork.json
//
// The key pair comes from a fixed seed, so the output is the same on every run.
'use strict'
const fs = require('fs')
const os = require('os')
const path = require('path')
const Hypercore = require('hypercore')
const crypto = require('hypercore-crypto')

const seed = Buffer.alloc(32, 7)
const keyPair = crypto.keyPair(seed)
const block = (i, tag) => Buffer.from(`${tag}-${i}`)

// Each step appends blocks or truncates; the blocks are named so the C++ test rebuilds them.
const steps = [
  { op: 'append', tag: 'a', count: 5 },
  { op: 'append', tag: 'a', count: 6 },
  { op: 'truncate', length: 7 },
  { op: 'append', tag: 'b', count: 3 },
  { op: 'truncate', length: 10 },
  { op: 'truncate', length: 4 },
  { op: 'append', tag: 'c', count: 9 },
  { op: 'truncate', length: 0 },
  { op: 'append', tag: 'd', count: 2 }
]

async function main () {
  const out = process.argv[2]
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fork-vectors-'))
  const core = new Hypercore(dir, { keyPair, compat: true })
  await core.ready()
  const version = require('hypercore/package.json').version
  const result = {
    source: `Produced by the reference JavaScript implementation (hypercore ${version}, compat key mode) with tests/vectors/make_fork_vectors.js. Hex strings are raw bytes. A block appended at step s under tag t at index i is the UTF-8 string "t-i".`,
    hypercoreVersion: version,
    seed: seed.toString('hex'),
    publicKey: keyPair.publicKey.toString('hex'),
    steps: []
  }
  for (const step of steps) {
    if (step.op === 'append') {
      const blocks = []
      for (let i = 0; i < step.count; i++) blocks.push(block(core.length + i, step.tag))
      await core.append(blocks)
    } else {
      await core.truncate(step.length)
    }
    const roots = core.core.state.roots.map(r => ({ index: r.index, size: r.size, hash: r.hash.toString('hex') }))
    result.steps.push({
      ...step,
      fork: core.fork,
      length: core.length,
      byteLength: core.byteLength,
      treeHash: (await core.treeHash()).toString('hex'),
      signature: core.core.state.signature.toString('hex'),
      roots
    })
  }
  await core.close()
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(path.dirname(out), { recursive: true })
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
}

main().catch(err => { console.error(err); process.exit(1) })
