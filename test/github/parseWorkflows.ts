/**
 * Validates workflow and action files with GitHub's own parser (@actions/workflow-parser, the
 * one behind the Actions language service): `node --import tsx test/github/parseWorkflows.ts
 * <file>...` prints `[{ file, errors }]` as JSON. A separate process because the parser is an ES
 * module that imports JSON without import attributes, which tsx loads and jest cannot.
 */
import { readFileSync } from "fs";
import { basename, dirname } from "path";

async function main(files: string[]): Promise<void> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import("@actions/workflow-parser");
  const { parseAction } = await import("@actions/workflow-parser/actions/action-parser");
  const results = [];
  for (const file of files) {
    const content = readFileSync(file, "utf8");
    const name = `${basename(dirname(file))}/${basename(file)}`;
    const errors: string[] = [];
    if (basename(file).startsWith("action.")) {
      const parsed = parseAction({ name, content }, new NoOperationTraceWriter());
      errors.push(...parsed.context.errors.getErrors().map((e) => e.message));
    } else {
      const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
      errors.push(...parsed.context.errors.getErrors().map((e) => e.message));
      if (parsed.value) {
        const template = await convertWorkflowTemplate(parsed.context, parsed.value);
        for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
      }
    }
    results.push({ file, errors });
  }
  process.stdout.write(JSON.stringify(results));
}

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(String(err?.stack ?? err));
  process.exit(1);
});
