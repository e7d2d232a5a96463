// The bench runs in the shared test lab (tests/support/lab.ts); these are its own paths.

import * as path from "path";
import { REPO_ROOT } from "../tests/support/pulumi";

export { byOperation, MANY, openLab } from "../tests/support/lab";
export type { CliRun, Lab } from "../tests/support/lab";

export const NOSCAN = path.join(REPO_ROOT, "bench/noscan");
export const DYNAMIC = path.join(REPO_ROOT, "bench/dynamic");
export const AWS_CLI = path.join(REPO_ROOT, ".tools/venv/bin/aws");
