// A downstream stack: reads the scan stack's outputs through StackReference and
// exports whether the image may be deployed.
//
//   pulumi config set scanStack organization/imagescan-example/dev
//   pulumi config set maxSeverity HIGH     # optional: findings at or above this block
//   pulumi up
//
// A finding the scan stack accepted (its ignoreFindings, listed in ignoredFindings) does
// not block here either: the two stacks agree on what is accepted risk.

import * as pulumi from "@pulumi/pulumi";

interface ImageEntry {
    platform?: string;
    imageDigest: string;
    scanStatus: string;
    findingsTotal: number;
}

interface IgnoredFinding {
    name: string;
    severity: string;
    until?: string;
}

/** An acceptance whose `until` has passed no longer counts (a date alone covers that day, UTC). */
const stillAccepted = (f: IgnoredFinding) => f.until === undefined || Date.parse(f.until) + (/^\d{4}-\d{2}-\d{2}$/.test(f.until) ? 86_400_000 : 0) > Date.now();

const config = new pulumi.Config();
const scanStack = new pulumi.StackReference(config.require("scanStack"));
const order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"];
const maxSeverity = config.get("maxSeverity") ?? "HIGH";
const blockingSeverities = order.slice(0, order.indexOf(maxSeverity) + 1);

const imageDigest = scanStack.requireOutput("imageDigest") as pulumi.Output<string>;
const scanStatus = scanStack.requireOutput("scanStatus") as pulumi.Output<string>;
const counts = scanStack.requireOutput("findingSeverityCounts") as pulumi.Output<Record<string, number>>;
// Stacks written before ignoredFindings existed have none: nothing was accepted then.
const ignored = scanStack.getOutput("ignoredFindings").apply((v) => ((v ?? []) as IgnoredFinding[]).filter(stillAccepted));

export const scannedDigest = imageDigest;
// What was scanned: the image itself, or each platform image of an index (multi-platform
// builds, and buildx pushes with attestations). Stacks written before `images` existed
// had one image.
export const scannedImages = scanStack
    .getOutput("images")
    .apply((v) => ((v ?? []) as ImageEntry[]).map((i) => ({ platform: i.platform ?? "(single image)", imageDigest: i.imageDigest, scanStatus: i.scanStatus, findingsTotal: i.findingsTotal })));
export const blockingFindings = pulumi.all([counts, ignored]).apply(([c, accepted]) =>
    blockingSeverities.reduce((n, s) => n + Math.max(0, (c[s] ?? 0) - accepted.filter((f) => f.severity === s).length), 0),
);
export const acceptedFindings = ignored.apply((accepted) => accepted.filter((f) => blockingSeverities.includes(f.severity)).map((f) => f.name));
// COMPLETE for basic scanning; ACTIVE is enhanced (Inspector) scanning's "scanned, and watched".
// The counts are ECR's own; with enhanced scanning they may include findings Inspector
// suppressed or closed, which the scan stack's gate does not count: stricter here.
export const deployable = pulumi
    .all([scanStatus, blockingFindings])
    .apply(([status, blocking]) => (status === "COMPLETE" || status === "ACTIVE") && blocking === 0);
