// podgate init [dir]: a user's project from templates/project — config, one
// mutating webhook, a CEL and a TypeScript policy, a scheduler plugin, their
// tests, a Dockerfile on podgate's image and a kustomize overlay. An existing
// package.json is merged (scripts and dependencies added, nothing replaced);
// any other file that exists is left alone and reported unless --force.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { Command } from "commander";
import { packagePath } from "../package-root.ts";

const TEMPLATES = packagePath("templates/project");

/** npm drops .gitignore from packages, so the template ships it without the dot. */
const targetName = (path: string) => (basename(path) === "gitignore" ? join(dirname(path), ".gitignore") : path);

async function templateFiles(dir: string, prefix = ""): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) files.push(...(await templateFiles(dir, path)));
    else files.push(path);
  }
  return files.sort();
}

type PackageJson = Record<string, unknown> & { scripts?: Record<string, string>; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };

/** Adds what the project needs to a package.json the user already has; their own entries win. */
function mergePackageJson(existing: PackageJson, template: PackageJson): PackageJson {
  const dependencies = { ...template.dependencies, ...existing.dependencies };
  const devDependencies = { ...template.devDependencies, ...existing.devDependencies };
  // podgate installed as a dependency already is the one to keep; a devDependency of the same name would shadow it.
  for (const name of Object.keys(dependencies)) delete devDependencies[name];
  return { ...template, ...existing, type: existing["type"] ?? template["type"], scripts: { ...template.scripts, ...existing.scripts }, dependencies, devDependencies };
}

export interface InitResult {
  readonly written: readonly string[];
  readonly skipped: readonly string[];
}

export async function scaffold(dir: string, options: { name?: string; version: string; force?: boolean }): Promise<InitResult> {
  const root = resolve(dir);
  const name = options.name ?? (basename(root).toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "") || "podgate-project");
  const fill = (text: string) => text.replaceAll("{{name}}", name).replaceAll("{{version}}", options.version);
  const written: string[] = [];
  const skipped: string[] = [];
  for (const file of await templateFiles(TEMPLATES)) {
    const target = join(root, targetName(file));
    let text = fill(await readFile(join(TEMPLATES, file), "utf8"));
    if (file === "package.json" && existsSync(target)) {
      text = `${JSON.stringify(mergePackageJson(JSON.parse(await readFile(target, "utf8")) as PackageJson, JSON.parse(text) as PackageJson), null, 2)}\n`;
    } else if (existsSync(target) && !options.force) {
      skipped.push(relative(root, target));
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    written.push(relative(root, target));
  }
  return { written, skipped };
}

export function initCommand(version: string): Command {
  return new Command("init")
    .description("Scaffold a project: podgate.yaml, a mutating webhook, CEL and TypeScript policies, a scheduler plugin, their tests, a Dockerfile and a kustomize overlay")
    .argument("[dir]", "the project directory (created if missing)", ".")
    .option("--name <name>", "the project's name (default: the directory's)")
    .option("--force", "overwrite files that exist (package.json is always merged, never replaced)")
    .addHelpText("after", "\nExamples:\n  npx podgate init my-policies\n  cd my-policies && npm install && npm test\n")
    .action(async (dir: string, flags: { name?: string; force?: boolean }) => {
      const result = await scaffold(dir, { version, ...flags });
      for (const file of result.written) process.stdout.write(`  wrote ${file}\n`);
      for (const file of result.skipped) process.stdout.write(`  kept  ${file} (exists; --force overwrites)\n`);
      const cd = resolve(dir) === process.cwd() ? "" : `cd ${dir} && `;
      process.stdout.write(`\nNext: ${cd}npm install && npm test, then npm run dev (or npm start)\n`);
    });
}
