/** The public-schema switch, through the real program. */
import { reveal } from "../../../tools/capture";
import { captureStack } from "../../../tools/run";

const publicGrants = async (stack: string, overrides?: Record<string, unknown>) => {
  const c = await captureStack(stack, { overrides });
  return c.resources.filter((r) => r.type === "postgresql:index/grant:Grant" && reveal(r.inputs.schema) === "public");
};

describe("DatabaseBaseline", () => {
  it("dev (no-create): PUBLIC keeps USAGE on public and loses CREATE; kept on delete", async () => {
    const grants = await publicGrants("dev");
    expect(grants.map((g) => reveal(g.inputs))).toEqual([
      { database: "postgres", schema: "public", role: "public", objectType: "schema", privileges: ["USAGE"] },
    ]);
    expect(grants[0].options.retainOnDelete).toBe(true);
    expect(grants[0].parent).toMatch(/volteryde:database:DatabaseBaseline::database$/);
  });

  it("prod (revoke-all): the guide's REVOKE ALL ON SCHEMA public FROM PUBLIC", async () => {
    const grants = await publicGrants("prod");
    expect(grants.map((g) => reveal(g.inputs.privileges))).toEqual([[]]);
  });

  it("unchanged: leaves public alone", async () => {
    expect(await publicGrants("dev", { database: { publicSchema: "unchanged" } })).toEqual([]);
  });

  it("never revokes CONNECT on the database from PUBLIC", async () => {
    for (const stack of ["dev", "prod"]) {
      const c = await captureStack(stack);
      const onDb = c.resources.filter((r) => r.type === "postgresql:index/grant:Grant" && reveal(r.inputs.objectType) === "database");
      expect(onDb.length).toBeGreaterThan(0);
      for (const g of onDb) expect(reveal(g.inputs.role)).not.toBe("public");
    }
  });
});
