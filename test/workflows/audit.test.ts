/** The scheduled drift audit: daily, against prod, secrets from the environment, failing on drift. */
import { readFileSync } from "fs";
import { join } from "path";
import { parse } from "yaml";

interface Step {
  name?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
const workflow = parse(readFileSync(join(__dirname, "..", "..", ".github", "workflows", "audit.yml"), "utf8")) as {
  on: { schedule: { cron: string }[] };
  permissions: Record<string, string>;
  jobs: Record<string, { environment: string; steps: Step[] }>;
};
const job = workflow.jobs["audit-prod"];
const audit = job.steps.find((s) => s.name === "Audit prod for drift")!;

it("runs once a day", () => {
  expect(workflow.on.schedule).toHaveLength(1);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = workflow.on.schedule[0].cron.split(" ");
  expect([dayOfMonth, month, dayOfWeek]).toEqual(["*", "*", "*"]);
  expect(Number.isInteger(Number(minute)) && Number.isInteger(Number(hour))).toBe(true);
});

it("audits the prod stack with the URL and password from secrets, never inline", () => {
  expect(job.environment).toBe("prod");
  expect(audit.run).toContain('npm run --silent audit -- --stack prod --database-url "$DATABASE_URL"');
  expect(audit.env).toEqual({ DATABASE_URL: "${{ secrets.PROD_AUDIT_DATABASE_URL }}", PGPASSWORD: "${{ secrets.PROD_AUDIT_DATABASE_PASSWORD }}" });
  expect(workflow.permissions).toEqual({ contents: "read" });
});

it("fails the job on drift (the audit's exit code survives the tee) and says so in the summary", () => {
  expect(audit.run).toContain("set -o pipefail");
  expect(audit.if).toBeUndefined();
  const loud = job.steps.find((s) => s.if === "failure()")!;
  expect(loud.run).toContain("GITHUB_STEP_SUMMARY");
  expect(loud.run).toContain("::error title=Database drift (prod)::");
});
