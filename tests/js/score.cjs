// Score a JSON array of sessions with the wasm package under Node (used by tests/tests/parity.rs).
// usage: node score.cjs <pkg dir> <artifact> <sessions.json> <out.json>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const [pkg, artifact, sessions, out] = process.argv.slice(2);
const { Scorer } = require(path.resolve(pkg, 'seqrisk_wasm.js'));
const scorer = new Scorer(fs.readFileSync(artifact));
const results = scorer.scoreBatch(fs.readFileSync(sessions, 'utf8'));
fs.writeFileSync(out, JSON.stringify({ backend: scorer.backend, model: scorer.model, results }));
