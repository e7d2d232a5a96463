// The outputs a create, update or read returns. Update must return all of them: the
// Pulumi host drops any output that update leaves out.

import { severityRank } from "./gate";
import { ImageRef } from "./image";
import { nextScanAllowedAt } from "./quota";
import { dropUndefined, FindingSummary, IgnoredFinding, ImageScanInputs, ImageScanOutputs, ScanResult } from "./types";
import { pinnedImageUri } from "./uri";

/** A scan's result plus where it came from. */
export interface Collected {
    result: ScanResult;
    scanStartedAt: string;
    adopted: boolean;
}

export const TOP_FINDINGS = 25;

/** Most severe first, then by name; at most 25. */
export function topFindings(findings: FindingSummary[]): FindingSummary[] {
    return [...findings]
        .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .slice(0, TOP_FINDINGS);
}

/**
 * The result as the outputs recorded it, for an image ECR no longer has a scan record
 * of: the top findings, and every finding the gate left out by name, so that the gate
 * can judge the same findings again.
 */
export function recordedResult(olds: ImageScanOutputs): ScanResult {
    const top = olds.topFindings;
    const ignored = (olds.ignoredFindings ?? []).filter((f) => !top.some((t) => t.name === f.name && t.severity === f.severity));
    return dropUndefined({
        scanStatus: olds.scanStatus,
        scanStatusDescription: olds.scanStatusDescription,
        scanType: olds.scanType,
        scanCompletedAt: olds.scanCompletedAt,
        vulnerabilitySourceUpdatedAt: olds.vulnerabilitySourceUpdatedAt,
        findingSeverityCounts: olds.findingSeverityCounts,
        findings: [...top, ...ignored.map(({ name, severity }) => ({ name, severity }))],
    });
}

export function outputs(inputs: Omit<ImageScanInputs, "region">, image: ImageRef, c: Collected, ignored: IgnoredFinding[]): ImageScanOutputs {
    const counts = c.result.findingSeverityCounts;
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
        scanStatus: c.result.scanStatus,
        scanStatusDescription: c.result.scanStatusDescription,
        scanType: c.result.scanType,
        scanStartedAt: c.scanStartedAt,
        nextScanAllowedAt: nextScanAllowedAt(c.scanStartedAt),
        scanCompletedAt: c.result.scanCompletedAt,
        vulnerabilitySourceUpdatedAt: c.result.vulnerabilitySourceUpdatedAt,
        findingSeverityCounts: counts,
        findingsTotal: Object.values(counts).reduce((a, b) => a + b, 0),
        topFindings: topFindings(c.result.findings),
        adoptedExistingScan: c.adopted,
        ignoredFindings: ignored,
    } satisfies ImageScanOutputs);
}
