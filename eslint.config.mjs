// Flat config: typescript-eslint's recommended rules, Pulumi's plugin (an Output inside a plain
// template literal renders as a warning string, not its value), and a rule for our style guide:
// a resource constructed inside `apply` is invisible to `pulumi preview`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["node_modules/", "bin/", "out/", ".stryker-tmp/", "coverage/", "**/dist/", "**/*.js", "**/*.mjs", "**/*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.property.name='apply'] NewExpression[callee.type='MemberExpression']",
          message: "Do not construct resources inside apply: pass Outputs as inputs instead (STYLE.md).",
        },
      ],
    },
  },
);
