// The typed client: openapi-typescript turns openapi/openapi.json into client/api.d.ts,
// and `tsc --noEmit` (strict) checks examples/client/stackatlas.ts against it. Then the
// same check runs on copies of the document with breaking changes made to them, each of
// which must fail, to prove the check would catch one. Run with:
//
//   node --test typecheck.test.mjs

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const bin = (name) => path.join(here, "node_modules", ".bin", name);
const spec = path.resolve(here, "..", "openapi", "openapi.json");

/** Generates types from `document` into `outDir/api.d.ts`. */
async function generate(document, outDir) {
  await run(bin("openapi-typescript"), [document, "--output", path.join(outDir, "api.d.ts")], { cwd: here });
}

/** Runs tsc with `project`; answers { ok, output }. */
async function typecheck(project) {
  try {
    await run(bin("tsc"), ["--noEmit", "--pretty", "false", "-p", project], { cwd: here });
    return { ok: true, output: "" };
  } catch (error) {
    return { ok: false, output: `${error.stdout}${error.stderr}`.trim() };
  }
}

test("the example client type-checks against types generated from openapi/openapi.json", async (t) => {
  await generate(spec, path.join(here, "client"));
  const { ok, output } = await typecheck(path.join(here, "tsconfig.json"));
  if (!ok) t.diagnostic(output);
  assert.ok(ok, `tsc --noEmit failed: the API's types changed under examples/client/stackatlas.ts:\n${output}`);
});

// ---- the check catches breaking changes ---------------------------------------------------
//
// These run openapi-typescript and the TypeScript compiler in this process (same
// packages, same tsconfig as the CLI check above), sharing the parsed standard library
// between cases, which keeps them to about a second each.

const libCache = new Map();

/** Type-checks `project` in process; answers { ok, output } like `typecheck`. */
function typecheckInProcess(project) {
  const parsed = ts.getParsedCommandLineOfConfigFile(project, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (!fileName.includes(`${path.sep}node_modules${path.sep}`)) {
      return getSourceFile(fileName, languageVersion, ...rest);
    }
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!libCache.has(key)) libCache.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return libCache.get(key);
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  const output = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => here,
    getNewLine: () => "\n",
  }).trim();
  return { ok: diagnostics.length === 0, output };
}

/** Every schema object in the document (components and inline), for mutating. */
function* schemas(node) {
  if (Array.isArray(node)) {
    for (const item of node) yield* schemas(item);
  } else if (node && typeof node === "object") {
    if (node.properties && typeof node.properties === "object") yield node;
    for (const value of Object.values(node)) yield* schemas(value);
  }
}

/** Breaking changes a client must notice; each edits the document in place. */
const breakingChanges = {
  "a response field is renamed (name → title)"(doc) {
    let changed = 0;
    for (const schema of schemas(doc)) {
      if (!("name" in schema.properties) || !("kind" in schema.properties)) continue;
      schema.properties.title = schema.properties.name;
      delete schema.properties.name;
      schema.required = (schema.required || []).map((field) => (field === "name" ? "title" : field));
      changed++;
    }
    return changed;
  },
  "a required response field becomes optional (summary)"(doc) {
    let changed = 0;
    for (const schema of schemas(doc)) {
      if (!schema.required?.includes("summary")) continue;
      schema.required = schema.required.filter((field) => field !== "summary");
      changed++;
    }
    return changed;
  },
  "an enum value is dropped (kind language)"(doc) {
    const kind = doc.components?.schemas?.Kind;
    if (!Array.isArray(kind?.enum) || !kind.enum.includes("language")) return 0;
    kind.enum = kind.enum.filter((value) => value !== "language");
    return 1;
  },
  "an endpoint is removed (GET /v1/search)"(doc) {
    if (!doc.paths["/v1/search"]) return 0;
    delete doc.paths["/v1/search"];
    return 1;
  },
};

test("a breaking change to the API's types fails the check", async (t) => {
  const original = JSON.parse(await readFile(spec, "utf8"));
  const work = await mkdtemp(path.join(tmpdir(), "stackatlas-types-"));
  try {
    for (const [change, apply] of Object.entries(breakingChanges)) {
      await t.test(change, async () => {
        const doc = structuredClone(original);
        assert.ok(apply(doc) > 0, "the mutation found nothing to change: update this test");
        const dir = await mkdtemp(path.join(work, "case-"));
        await writeFile(path.join(dir, "api.d.ts"), astToString(await openapiTS(doc)));
        const project = path.join(dir, "tsconfig.json");
        await writeFile(project, JSON.stringify({
          extends: path.join(here, "tsconfig.json"),
          compilerOptions: { rootDirs: [path.resolve(here, "..", "examples", "client"), dir] },
          files: [path.resolve(here, "..", "examples", "client", "stackatlas.ts")],
        }));
        const { ok, output } = typecheckInProcess(project);
        assert.equal(ok, false, "tsc accepted the example client against a broken API");
        t.diagnostic(output.split("\n")[0]);
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
