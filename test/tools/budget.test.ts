/** The budget table the offline plan prints, read from the captured graph. */
import { budgetTable, recordedBudget } from "../../tools/budget";
import { plan } from "../../tools/plan";
import { captureStack } from "../../tools/run";
import { handmade, handmadeCapture } from "../handmadeGraph";
import { tempDir } from "../tempDir";

it("prints pools, ceiling and clients per kind, the totals, the limits and the headroom (dev)", async () => {
  const c = await captureStack("dev");
  expect(budgetTable(c)).toBe(
    [
      "Connection budget: compute small, max_connections 90 (3 superuser-reserved, 18 for Supabase's services), pool size 1 (up to 2 per pool), 43 server connections without a flip",
      "                                       pools ceiling clients",
      "  active runtime users                    10      20     240",
      "  idle runtime users (during a flip)      10      20       0",
      "  migrators                               10      20      10",
      "  PostgreSQL provider                      1       1       1",
      "  Supabase Storage                         1       2       0",
      "  total                                   32      63     251",
      "  limit                                   50      69     400",
      "  headroom                                18       6     149",
    ].join("\n"),
  );
});

it("says so when a capture holds no budget", () => {
  expect(() => recordedBudget(handmadeCapture([handmade("a")]))).toThrow("the capture holds no connection budget");
});

it("the offline plan prints it (prod)", async () => {
  let report = "";
  const code = await plan({ stack: "prod", out: tempDir("plan-"), verify: false, write: (t) => (report += t) });
  expect(code).toBe(0);
  expect(report).toContain("Connection budget: compute xl, max_connections 240 (3 superuser-reserved, 48 for Supabase's services), pool size 5");
  expect(report).toContain("  total                                   32     160     604\n  limit                                   50     189    1000\n");
});
