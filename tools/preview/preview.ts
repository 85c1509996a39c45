/**
 * `npm start -- --stack <s> --set path=value [--set ...] [--base <file>]`: the change preview.
 * The old state is the stack's config (or `--base`, e.g. main's Pulumi.<s>.yaml); the new one
 * is the stack file with each `--set` applied, as `pulumi config set --path` would. Both are
 * captured from the real program under mocks and compared by change.ts; the CLI's config rules
 * (cliConfig.ts) are checked on the stack file as well. Exit 1 on any refusal or hazard.
 */
import YAML from "yaml";
import { ConfigError, PROJECT } from "../../components/config/configSchema";
import { Capture } from "../capture";
import { captureStack } from "../run";
import { readStackFile, stackFile } from "../stackConfig";
import { ChangePreview, Step, previewChange } from "./change";
import { checkStackConfig } from "./cliConfig";

/** `rotation.active=blue` as the config key and the path inside its value; the value as YAML reads it. */
export function parseSet(text: string): { key: string; path: string[]; value: unknown } {
  const eq = text.indexOf("=");
  if (eq < 1) throw new ConfigError([`--set ${JSON.stringify(text)}: expected path=value, e.g. rotation.active=blue`]);
  const [key, ...path] = text.slice(0, eq).replace(new RegExp(`^${PROJECT}:`), "").split(".");
  const raw = text.slice(eq + 1);
  return { key, path, value: raw === "" ? "" : YAML.parse(raw) };
}

/** The config a set of `--set`s gives: the file's values, each path set (objects created on the way). */
export function applySets(values: Record<string, unknown>, sets: readonly string[]): Record<string, unknown> {
  const out = structuredClone(values);
  const keyOf = (k: string) => (k in out ? k : `${PROJECT}:${k}`);
  for (const set of sets.map(parseSet)) {
    const top = keyOf(set.key);
    if (!set.path.length) {
      out[top] = set.value;
      continue;
    }
    out[top] = typeof out[top] === "object" && out[top] !== null ? out[top] : {};
    let node = out[top] as Record<string, unknown>;
    for (const p of set.path.slice(0, -1)) {
      node[p] = typeof node[p] === "object" && node[p] !== null ? node[p] : {};
      node = node[p] as Record<string, unknown>;
    }
    node[set.path[set.path.length - 1]] = set.value;
  }
  return out;
}

export interface PreviewOptions {
  readonly stack: string;
  readonly root: string;
  readonly sets: readonly string[];
  /** Another stack file to compare against (the old state). @default Pulumi.<stack>.yaml */
  readonly base?: string;
}

/** Captures the old and the new config of a stack and compares them. */
export async function previewStack(options: PreviewOptions): Promise<{ preview: ChangePreview; before: Capture; after: Capture; configFindings: ReturnType<typeof checkStackConfig> }> {
  const file = stackFile(options.stack, options.root);
  const configFindings = checkStackConfig(options.stack, options.root);
  const before = await captureStack(options.stack, { root: options.root, ...(options.base ? { file: options.base } : {}) });
  const values = applySets(readStackFile(file), options.sets);
  const overrides = Object.fromEntries(Object.entries(values).map(([k, v]) => [k.replace(new RegExp(`^${PROJECT}:`), ""), v]));
  const after = await captureStack(options.stack, { root: options.root, overrides });
  return { preview: previewChange(before, after), before, after, configFindings };
}

const SYMBOL: Record<Step["kind"], string> = { create: "+ ", update: "~ ", replace: "+-", delete: "- " };

/** A changed path without list indices and cut to its first three segments: what a reader needs to see. */
const shortPath = (path: string) => path.replace(/\[[0-9]+\]/g, "[]").split(".").slice(0, 3).join(".");

/** Steps of one kind and type with the same flags, as one line: `10 x Type (a, b, ...) [what changed]`. */
export function groupSteps(steps: readonly Step[]): { kind: Step["kind"]; line: string }[] {
  const groups = new Map<string, Step[]>();
  for (const s of steps) {
    const key = [s.kind, s.type, s.forceNew.map(shortPath).join(","), s.deleteFirst, s.retained, s.aliased].join("|");
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    const s = g[0];
    const names = g.map((x) => x.name).sort();
    const shown = names.length > 4 ? `${names.slice(0, 3).join(", ")}, ... +${names.length - 3}` : names.join(", ");
    const changed = [...new Set(g.flatMap((x) => x.changed.map(shortPath)))];
    const notes = [
      s.kind === "replace" ? `force-new: ${[...new Set(s.forceNew.map(shortPath))].join(", ")}` : "",
      s.kind === "update" && changed.length ? `changes: ${changed.slice(0, 4).join(", ")}${changed.length > 4 ? ", ..." : ""}` : "",
      s.deleteFirst ? "deleted first (fixed name or deleteBeforeReplace)" : "",
      s.retained ? (s.kind === "delete" ? "retained: only forgotten, the object stays" : "the old one is retained") : "",
      s.aliased ? "renamed, matched through its alias" : "",
    ].filter(Boolean);
    return { kind: s.kind, line: `${g.length} x ${s.type} (${shown})${notes.length ? ` [${notes.join("; ")}]` : ""}` };
  });
}

/** The preview as `pulumi preview` would print it, shortened: one line a changed resource. */
export function renderPreview(stack: string, p: ChangePreview, configFindings: ReturnType<typeof checkStackConfig> = []): string {
  const out: string[] = [];
  const c = p.counts;
  out.push(`Change preview of stack "${stack}": ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete, ${c.same} unchanged`);
  for (const g of groupSteps(p.steps)) out.push(`  ${SYMBOL[g.kind]} ${g.kind.padEnd(7)} ${g.line}`);
  if (p.rolls.length) {
    out.push("", "Pods that start (roll) and why:");
    for (const r of p.rolls) out.push(`  ${r.type} ${r.name}: ${r.reasons.join("; ")}`);
  } else {
    out.push("", "No pod rolls.");
  }
  const problems = [...configFindings.filter((f) => f.level === "error").map((f) => ({ level: "error", message: `config: ${f.message}` })), ...p.findings];
  if (problems.length) {
    out.push("", "Refusals and hazards:");
    for (const f of problems) out.push(`  ${f.level}: ${f.message}`);
  }
  const todo = configFindings.filter((f) => f.level === "todo");
  if (todo.length) out.push("", "Before the first `pulumi preview` of this stack:", ...todo.map((f) => `  ${f.message}`));
  return out.join("\n") + "\n";
}

/** Exit code of a preview: 1 on an error finding (the engine's or a hazard) or a CLI config error. */
export function previewExitCode(p: ChangePreview, configFindings: ReturnType<typeof checkStackConfig>): number {
  return p.findings.some((f) => f.level === "error") || configFindings.some((f) => f.level === "error") ? 1 : 0;
}
