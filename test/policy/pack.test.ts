/**
 * The policy pack as the engine meets it: `policy/index.ts` run in its own process serves the
 * analyzer gRPC protocol (@pulumi/policy's server); this test speaks that protocol with the
 * SDK's own messages, as `pulumi preview --policy-pack policy` does.
 */
import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import * as grpc from "@grpc/grpc-js";
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");

const POLICY_DIR = join(__dirname, "..", "..", "policy");
let pack: ChildProcess;
let client: any;

beforeAll(async () => {
  pack = spawn(process.execPath, ["--import", "tsx", "index.ts"], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
  // The pack prints the port it listens on, as the engine expects from a plugin.
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    pack.stdout!.on("data", (d) => {
      out += String(d);
      if (out.includes("\n")) resolve(out.trim());
    });
    pack.stderr!.on("data", (d) => (err += String(d)));
    pack.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${err}`)));
  });
  client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(() => {
  client?.close();
  pack?.kill();
});

const call = <T>(method: string, request: unknown): Promise<T> =>
  new Promise((resolve, reject) => client[method](request, (err: Error | null, response: T) => (err ? reject(err) : resolve(response))));

function options(): any {
  const o = new analyzerproto.AnalyzerResourceOptions();
  o.setProtect(false);
  o.setIgnorechangesList([]);
  o.setAliasesList([]);
  o.setAdditionalsecretoutputsList([]);
  return o;
}

function analyzeRequest(type: string, name: string, properties: Record<string, unknown>, deleteBeforeReplace = false): any {
  const req = new analyzerproto.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(`urn:pulumi:prod::volteryde-infra::${type}::${name}`);
  req.setProperties(structproto.Struct.fromJavaScript(properties));
  const o = options();
  o.setDeletebeforereplace(deleteBeforeReplace);
  o.setDeletebeforereplacedefined(true);
  req.setOptions(o);
  return req;
}

const diagnostics = (response: any) => response.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage()}`);

it("announces the pack's policies, every one mandatory", async () => {
  const info = await call<any>("getAnalyzerInfo", new emptyproto.Empty());
  expect(info.getName()).toBe("volteryde-infra");
  const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
  expect(policies.map((p: [string, number]) => p[0])).toEqual([
    "postgresql-no-privileged-roles",
    "postgresql-no-grants-to-public",
    "postgresql-grants-delete-before-replace",
    "postgresql-no-all-privileges",
    "kubernetes-configmap-no-secrets",
    "kubernetes-workload-hardening",
    "kubernetes-no-latest-image",
    "secretsmanager-prod-recovery-and-kms",
    "retain-data-in-prod",
  ]);
  for (const [, level] of policies) expect(level).toBe(analyzerproto.EnforcementLevel.MANDATORY);
});

it("reports a superuser role and passes an unprivileged one", async () => {
  const role = "postgresql:index/role:Role";
  const bad = await call<any>("analyze", analyzeRequest(role, "x-app", { name: "svc_x_app", superuser: true }));
  expect(diagnostics(bad)).toEqual([expect.stringMatching(/^postgresql-no-privileged-roles: .*role svc_x_app sets superuser/s)]);
  const good = await call<any>("analyze", analyzeRequest(role, "x-app", { name: "svc_x_app", superuser: false }));
  expect(diagnostics(good)).toEqual([]);
});

it("sees deleteBeforeReplace as the engine sends it", async () => {
  const grant = "postgresql:index/grant:Grant";
  const props = { database: "postgres", schema: "svc_x", role: "svc_x_app", objectType: "table", privileges: ["SELECT"] };
  expect(diagnostics(await call<any>("analyze", analyzeRequest(grant, "g", props, true)))).toEqual([]);
  expect(diagnostics(await call<any>("analyze", analyzeRequest(grant, "g", props, false)))).toEqual([
    expect.stringMatching(/^postgresql-grants-delete-before-replace: .*g has no deleteBeforeReplace/s),
  ]);
});

it("declares the retain rule not applicable: the engine's resource options carry no retainOnDelete", async () => {
  const schema = new analyzerproto.AnalyzerResource();
  schema.setType("postgresql:index/schema:Schema");
  schema.setName("booking-schema");
  schema.setUrn("urn:pulumi:prod::volteryde-infra::postgresql:index/schema:Schema::booking-schema");
  schema.setProperties(structproto.Struct.fromJavaScript({ name: "svc_booking", owner: "svc_booking_owner" }));
  schema.setOptions(options());
  const req = new analyzerproto.AnalyzeStackRequest();
  req.setResourcesList([schema]);
  const response = await call<any>("analyzeStack", req);
  expect(diagnostics(response)).toEqual([]);
  expect(response.getNotApplicableList().map((n: any) => `${n.getPolicyName()}: ${n.getReason()}`)).toEqual([
    "retain-data-in-prod: the engine does not pass retainOnDelete to policy packs; npm test checks it on the captured graph",
  ]);
});
