/**
 * Temporary directories a test file creates, removed after its last test, also when a test
 * failed or threw half-way (the afterAll hook runs either way): a test run leaves nothing in the
 * temporary folder. Import it from test files only: importing registers the hook on the importing file.
 */
import { mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory under the OS temp dir (or under `parent`), removed after the file's tests. */
export function tempDir(prefix: string, parent: string = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.push(dir);
  return dir;
}
