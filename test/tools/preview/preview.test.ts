/**
 * The change preview as `npm start -- --set ... [--base ...]` prints it (tools/plan.ts
 * changePreview): the flip of prod as a short list with the pods that roll and why, a refused
 * change's exit code, and `--base` comparing against another stack file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { changePreview } from "../../../tools/plan";
import { applySets, parseSet } from "../../../tools/preview/preview";
import { ROOT } from "../../../tools/stackConfig";

const run = async (options: { stack: string; sets: string[]; base?: string }) => {
  let text = "";
  const code = await changePreview({ root: ROOT, ...options }, (t) => (text += t));
  return { code, text };
};

it("prints prod's flip as a short change list, exits 0, and names each pod that rolls and why", async () => {
  const { code, text } = await run({ stack: "prod", sets: ["rotation.active=blue"] });
  expect(code).toBe(0);
  const lines = text.split("\n");
  expect(lines[0]).toBe('Change preview of stack "prod": 0 to create, 11 to update, 20 to replace, 0 to delete, 355 unchanged');
  expect(lines.slice(1, 4)).toEqual([
    "  +- replace 10 x aws:secretsmanager/secretVersion:SecretVersion (auth-app-secret-version, booking-app-secret-version, charging-app-secret-version, ... +7) [force-new: secretString; the old one is retained]",
    "  +- replace 10 x kubernetes:external-secrets.io/v1:ExternalSecret (auth-app, booking-app, charging-app, ... +7) [force-new: metadata.name]",
    "  ~  update  11 x kubernetes:apps/v1:Deployment (auth-deployment, booking-deployment, charging-deployment, ... +8) [changes: spec.template.metadata, spec.template.spec]",
  ]);
  const booking = lines.find((l) => l.startsWith("  Deployment booking: "))!;
  expect(booking).toMatch(/^ {2}Deployment booking: reads Secret booking-database-[0-9a-f]{8} instead of booking-database-[0-9a-f]{8}: new DATABASE_PASSWORD, DATABASE_USERNAME now svc_booking_app_blue\.vxkqpmrlatnhzbwcoyde$/);
  expect(lines.filter((l) => /^ {2}Deployment /.test(l))).toHaveLength(11);
  expect(text).not.toContain("Refusals and hazards");
}, 60_000);

it("refuses a flip to a user rotated in the same up: exit 1, the reason printed", async () => {
  const { code, text } = await run({ stack: "prod", sets: ["rotation.active=blue", "rotation.blue=2027-02"] });
  expect(code).toBe(1);
  expect(text).toContain("error: booking-app-secret-version: the pods switch to svc_booking_app_blue, whose password changes in the same up");
}, 60_000);

it("--base compares against another stack file: main's tag against this one's", async () => {
  const dir = mkdtempSync(join(tmpdir(), "preview-base-"));
  try {
    const base = join(dir, "Pulumi.prod.yaml");
    writeFileSync(base, readFileSync(join(ROOT, "Pulumi.prod.yaml"), "utf8").replace("tag: v1.14.2", "tag: v1.14.1"));
    const { code, text } = await run({ stack: "prod", sets: [], base });
    expect(code).toBe(0);
    expect(text).toContain("Deployment booking: image 123456789012.dkr.ecr.sa-east-1.amazonaws.com/volteryde/booking:v1.14.1 -> 123456789012.dkr.ecr.sa-east-1.amazonaws.com/volteryde/booking:v1.14.2");
    expect(text).toMatch(/\+- replace 10 x kubernetes:batch\/v1:Job .*\[force-new: metadata\.name, spec\.template\.metadata, spec\.template\.spec; deleted first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

it("reads --set like `pulumi config set --path`: nested paths, YAML scalars, objects created on the way", () => {
  expect(parseSet("rotation.active=blue")).toEqual({ key: "rotation", path: ["active"], value: "blue" });
  expect(parseSet("volteryde-infra:defaults.replicas=3")).toEqual({ key: "defaults", path: ["replicas"], value: 3 });
  expect(applySets({ "volteryde-infra:rotation": { active: "green", blue: "1" } }, ["rotation.active=blue", "services.fleet.enabled=false"])).toEqual({
    "volteryde-infra:rotation": { active: "blue", blue: "1" },
    "volteryde-infra:services": { fleet: { enabled: false } },
  });
  expect(() => parseSet("rotation.active")).toThrow("expected path=value");
});
