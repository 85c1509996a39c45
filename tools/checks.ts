/**
 * `npm run checks`' type check and lint, in one process on one TypeScript program:
 * `node --max-opt=2 --require ./tools/register.cjs tools/checks.ts` in the project's folder.
 *
 * - The type check is `tsc --noEmit -p tsconfig.json` (`npm run typecheck`): the same program, from
 *   the same tsconfig.json, and the diagnostics tsc reports (`getPreEmitDiagnostics`: options,
 *   syntax, semantics, globals).
 * - The lint is `eslint .` (`npm run lint`): eslint.config.mjs as it stands, but with the type
 *   information of that program (typescript-eslint's `parserOptions.programs`) instead of a program
 *   of its own from `projectService`. Type-aware rules (@pulumi/no-output-in-template-literal) read
 *   the checker the type check already filled.
 *
 * Run side by side as two processes, each built the program of ~1,300 files (the SDKs'
 * declarations, mostly): 11.2 s wall and 20.5 s of CPU against 9.5 s and 14.3 s here (warm,
 * interleaved, the layering check left out of both). The two scripts stay for running one alone.
 *
 * `npm run types-and-lint` starts it with `--max-opt=2` (V8's Maglev at most, no TurboFan): one
 * pass over the program leaves TurboFan's background compiles (a perf profile of `npm test`: about
 * a third of this process's CPU went to V8's compiler and GC threads) too little time to pay back.
 * Four interleaved runs: 9.4-9.9 s of user CPU by default against 8.0-8.5 s, wall 6.6-7.2 against
 * 6.3-6.7 s.
 *
 * Exits 1 on any type error or lint error (warnings are printed, as eslint prints them).
 */
import { ESLint } from "eslint";
import * as ts from "typescript";

export interface ChecksResult {
  readonly typeErrors: number;
  readonly lintErrors: number;
  readonly output: string;
}

/** tsconfig.json's program, as `tsc -p` builds it; none when the file cannot be read or parsed at all. */
function program(root: string): { program?: ts.Program; configErrors: readonly ts.Diagnostic[] } {
  const configErrors: ts.Diagnostic[] = [];
  const host: ts.ParseConfigFileHost = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) };
  const parsed = ts.getParsedCommandLineOfConfigFile(ts.sys.resolvePath(`${root}/tsconfig.json`), { noEmit: true }, host);
  if (!parsed) return { configErrors };
  return { program: ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, projectReferences: parsed.projectReferences }), configErrors: [...configErrors, ...parsed.errors] };
}

/** The process's exit code: 1 on any type error or lint error. */
export function exitCode(result: Pick<ChecksResult, "typeErrors" | "lintErrors">): 0 | 1 {
  return result.typeErrors > 0 || result.lintErrors > 0 ? 1 : 0;
}

export async function runChecks(root: string, pretty = false): Promise<ChecksResult> {
  const { program: built, configErrors } = program(root);
  const diagnostics = [...configErrors, ...(built ? ts.getPreEmitDiagnostics(built) : [])];
  const formatHost: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
  let output = diagnostics.length ? (pretty ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics)(diagnostics, formatHost) : "";
  const typeErrors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  // Without a program the lint has no type information to run with: the config error is the report.
  if (!built) return { typeErrors, lintErrors: 0, output };

  const eslint = new ESLint({ cwd: root, overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [built] } } } });
  const results = await eslint.lintFiles(["."]);
  const lintErrors = results.reduce((n, r) => n + r.errorCount, 0);
  output += await (await eslint.loadFormatter("stylish")).format(results);
  return { typeErrors, lintErrors, output };
}

if (require.main === module) {
  runChecks(process.cwd(), Boolean(process.stdout.isTTY)).then(
    (result) => {
      process.stdout.write(result.output);
      process.stdout.write(`type errors: ${result.typeErrors}, lint errors: ${result.lintErrors}\n`);
      process.exitCode = exitCode(result);
    },
    (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
