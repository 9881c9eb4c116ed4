// Lints the committed OpenAPI document with Spectral, using the repository's
// .spectral.yaml (spectral:oas). Any error or warning fails. Run with:
//
//   node --test spectral.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const spectral = path.join(here, "node_modules", ".bin", "spectral");

test("spectral lint openapi/openapi.json --fail-severity=warn finds nothing", async (t) => {
  let output;
  let failed = false;
  try {
    const { stdout, stderr } = await run(spectral, [
      "lint", "openapi/openapi.json",
      "--ruleset", ".spectral.yaml",
      "--fail-severity=warn",
      "--format", "text",
    ], { cwd: repo });
    output = `${stdout}${stderr}`.trim();
  } catch (error) {
    failed = true;
    output = `${error.stdout ?? ""}${error.stderr ?? ""}`.trim() || error.message;
  }
  for (const line of output.split("\n")) if (line.trim()) t.diagnostic(line);
  assert.equal(failed, false, `Spectral found problems in openapi/openapi.json:\n${output}`);
});
