// The outputs a create, update or read returns, from the images scanned: one for a plain
// image, one per platform image for an index (SPEC.md, "Image indexes"). Update must
// return all of them: the Pulumi host drops any output that update leaves out.

import { isCompletedScan, severityRank } from "./gate";
import { ImageRef } from "./image";
import { nextScanAllowedAt } from "./quota";
import { dropUndefined, FindingSummary, IgnoredFinding, ImageEntry, ImageScanInputs, ImageScanOutputs, ScanResult } from "./types";
import { pinnedImageUri } from "./uri";

/** A scan's result plus where it came from. */
export interface Collected {
    result: ScanResult;
    scanStartedAt: string;
    adopted: boolean;
}

/** One image the resource scanned: the image itself, or a platform image of an index. */
export interface Scanned {
    platform?: string;
    imageDigest: string;
    collected: Collected;
}

export const TOP_FINDINGS = 25;

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Most severe first, then by name; at most 25. */
export function topFindings(findings: FindingSummary[]): FindingSummary[] {
    return [...findings].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || byName(a, b)).slice(0, TOP_FINDINGS);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
/** The latest of ISO-8601 times, or undefined if none is known. */
const latest = (times: (string | undefined)[]) => times.filter((t): t is string => t !== undefined).sort((a, b) => Date.parse(a) - Date.parse(b)).pop();

/** What `images` says of one image. */
export function entry(s: Scanned): ImageEntry {
    const r = s.collected.result;
    return dropUndefined({
        platform: s.platform,
        imageDigest: s.imageDigest,
        scanStatus: r.scanStatus,
        scanStatusDescription: r.scanStatusDescription,
        scanStartedAt: s.collected.scanStartedAt,
        nextScanAllowedAt: nextScanAllowedAt(s.collected.scanStartedAt),
        scanCompletedAt: r.scanCompletedAt,
        findingSeverityCounts: r.findingSeverityCounts,
        findingsTotal: sum(r.findingSeverityCounts),
        adoptedExistingScan: s.collected.adopted,
    } satisfies ImageEntry);
}

/**
 * The resource's result: a plain image's own, or for an index the platform images'
 * together. COMPLETE when every one is complete (COMPLETE or ACTIVE), else the status of
 * the first, in index order, that is not. A count per severity is the larger of the
 * highest count any image has and the distinct finding names listed at it: one CVE in
 * two platform images counts once. Findings carry the platforms that have them. The
 * start is the latest start, and adopted means every image's scan was.
 */
export function combine(scans: Scanned[]): Collected {
    if (scans.length === 1 && scans[0].platform === undefined) {
        return scans[0].collected;
    }
    const results = scans.map((s) => s.collected.result);
    const pending = results.find((r) => !isCompletedScan(r.scanStatus));
    const counts: Record<string, number> = {};
    const findings = new Map<string, FindingSummary & { platforms: string[] }>();
    scans.forEach((s, i) => {
        for (const f of results[i].findings) {
            const known = findings.get(f.name);
            if (!known) {
                findings.set(f.name, { ...f, platforms: [s.platform ?? s.imageDigest] });
            } else {
                known.platforms = [...new Set([...known.platforms, s.platform ?? s.imageDigest])];
                if (severityRank(f.severity) > severityRank(known.severity)) {
                    known.severity = f.severity;
                }
            }
        }
    });
    for (const severity of new Set(results.flatMap((r) => [...Object.keys(r.findingSeverityCounts), ...r.findings.map((f) => f.severity)]))) {
        const highest = Math.max(0, ...results.map((r) => r.findingSeverityCounts[severity] ?? 0));
        const distinct = new Set(results.flatMap((r) => r.findings.filter((f) => f.severity === severity).map((f) => f.name))).size;
        const n = Math.max(highest, distinct);
        if (n > 0) {
            counts[severity] = n;
        }
    }
    const result: ScanResult = dropUndefined({
        scanStatus: pending ? pending.scanStatus : "COMPLETE",
        scanStatusDescription: pending ? pending.scanStatusDescription : `${scans.length} platform image(s) scanned`,
        scanType: results.some((r) => r.scanType === "ENHANCED") ? "ENHANCED" : "BASIC",
        scanCompletedAt: latest(results.map((r) => r.scanCompletedAt)),
        vulnerabilitySourceUpdatedAt: latest(results.map((r) => r.vulnerabilitySourceUpdatedAt)),
        findingSeverityCounts: counts,
        findings: [...findings.values()],
    });
    return {
        result,
        scanStartedAt: latest(scans.map((s) => s.collected.scanStartedAt)) as string,
        adopted: scans.every((s) => s.collected.adopted),
    };
}

/**
 * What state recorded of one image's result, for an image ECR no longer has a scan
 * record of: its counts, the top findings it had, and every finding the gate left out
 * by name, so that the gate can judge the same findings again.
 */
export function recordedResult(olds: ImageScanOutputs, image?: ImageEntry): ScanResult {
    const mine = (f: FindingSummary) => image?.platform === undefined || f.platforms === undefined || f.platforms.includes(image.platform);
    const top = olds.topFindings.filter(mine).map(({ platforms: _platforms, ...f }) => f);
    const ignored = (olds.ignoredFindings ?? []).filter((f) => !top.some((t) => t.name === f.name && t.severity === f.severity));
    const own = image ?? olds;
    return dropUndefined({
        scanStatus: own.scanStatus,
        scanStatusDescription: own.scanStatusDescription,
        scanType: olds.scanType,
        scanCompletedAt: own.scanCompletedAt,
        vulnerabilitySourceUpdatedAt: olds.vulnerabilitySourceUpdatedAt,
        findingSeverityCounts: own.findingSeverityCounts,
        findings: [...top, ...ignored.map(({ name, severity }) => ({ name, severity }))],
    });
}

/** Every output, from the resolved inputs, the image (the index, for one) and what was scanned. */
export function outputs(inputs: Omit<ImageScanInputs, "region">, image: ImageRef, scans: Scanned[], ignored: IgnoredFinding[]): ImageScanOutputs {
    const whole = combine(scans);
    const counts = whole.result.findingSeverityCounts;
    const registryId = image.registryId ?? "";
    const imageDigest = image.imageDigest as string;
    return dropUndefined({
        imageUri: pinnedImageUri(registryId, image.region, inputs.repositoryName, imageDigest),
        repositoryName: inputs.repositoryName,
        registryId,
        region: image.region,
        imageDigest,
        imageTag: inputs.imageTag,
        endpoint: inputs.endpoint,
        profile: inputs.profile,
        waitForCompletion: inputs.waitForCompletion,
        timeoutSeconds: inputs.timeoutSeconds,
        rescanAfterHours: inputs.rescanAfterHours,
        failOnSeverity: inputs.failOnSeverity,
        ignoreFindings: inputs.ignoreFindings,
        platforms: inputs.platforms,
        scanStatus: whole.result.scanStatus,
        scanStatusDescription: whole.result.scanStatusDescription,
        scanType: whole.result.scanType,
        scanStartedAt: whole.scanStartedAt,
        nextScanAllowedAt: nextScanAllowedAt(whole.scanStartedAt),
        scanCompletedAt: whole.result.scanCompletedAt,
        vulnerabilitySourceUpdatedAt: whole.result.vulnerabilitySourceUpdatedAt,
        findingSeverityCounts: counts,
        findingsTotal: sum(counts),
        topFindings: topFindings(whole.result.findings),
        adoptedExistingScan: whole.adopted,
        ignoredFindings: ignored,
        images: scans.map(entry),
    } satisfies ImageScanOutputs);
}
