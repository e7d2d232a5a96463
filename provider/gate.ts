// The severity gate: decides whether a scan result may pass when failOnSeverity is set.
// Pure: the caller supplies now, and prints the warnings.

import { fullLabel, ImageRef } from "./image";
import { dropUndefined, FindingSummary, IgnoredFinding, IgnoreEntry, ScanResult, SEVERITIES, Severity } from "./types";

const MAX_NAMES_IN_MESSAGE = 10;

/** Higher is more severe; severities ECR may add later (UNDEFINED, UNTRIAGED) rank 0. */
export function severityRank(severity: string): number {
    const i = (SEVERITIES as readonly string[]).indexOf(severity);
    return i < 0 ? 0 : SEVERITIES.length - i;
}

/** A result the gate can judge: a completed basic scan, or active enhanced scanning. */
export function isCompletedScan(status: string): boolean {
    return status === "COMPLETE" || status === "ACTIVE";
}

/**
 * Ignore entries whose `until` has passed at `now`. A date-only `until` ("2026-12-31")
 * covers that whole day (UTC), as a person reading it would expect.
 */
export function expiredIgnores(ignores: IgnoreEntry[], now: Date): IgnoreEntry[] {
    return ignores.filter(
        (e) => e.until !== undefined && Date.parse(e.until) + (/^\d{4}-\d{2}-\d{2}$/.test(e.until) ? 24 * 3600_000 : 0) <= now.getTime(),
    );
}

/** The severities at or above a threshold, most severe first. */
function atOrAbove(threshold: Severity): Severity[] {
    return SEVERITIES.slice(0, SEVERITIES.indexOf(threshold) + 1);
}

/**
 * The findings at or above `failOnSeverity` that `entries` name, with the entry's until
 * and reason: most severe first, then by name, each once. Empty without a threshold.
 */
export function leftOut(findings: FindingSummary[], failOnSeverity: Severity | undefined, entries: IgnoreEntry[]): IgnoredFinding[] {
    if (failOnSeverity === undefined) {
        return [];
    }
    const out: IgnoredFinding[] = [];
    for (const severity of atOrAbove(failOnSeverity)) {
        const names = [...new Set(findings.filter((f) => f.severity === severity).map((f) => f.name))].sort();
        for (const name of names) {
            const entry = entries.find((e) => e.name === name);
            if (entry) {
                out.push(dropUndefined({ name, severity, until: entry.until, reason: entry.reason }));
            }
        }
    }
    return out;
}

export interface GateVerdict {
    passed: boolean;
    /** Findings left after ignores, per severity at or above the threshold. */
    blockingCounts: Record<string, number>;
    blockingTotal: number;
    /** Names of blocking findings, most severe first. */
    blockingNames: string[];
    /**
     * Findings at or above the threshold that an unexpired ignore entry left out, most
     * severe first, then by name. Empty without a gate.
     */
    ignored: IgnoredFinding[];
    /** One line per ignore entry whose `until` has passed. */
    warnings: string[];
    /** Set when the gate failed: the error text for the user. */
    message?: string;
}

export function evaluateGate(
    image: ImageRef,
    result: Pick<ScanResult, "scanStatus" | "findings" | "findingSeverityCounts"> & Partial<Pick<ScanResult, "scanType">>,
    failOnSeverity: Severity | undefined,
    ignores: IgnoreEntry[],
    now: Date,
    /** For an image index: the first platform image whose scan is not complete. */
    unfinished?: { platform?: string; imageDigest: string },
): GateVerdict {
    const expired = expiredIgnores(ignores, now);
    const warnings = expired.map(
        (e) => `ignoreFindings entry "${e.name}" expired at ${e.until} and counts again for ${fullLabel(image)}; fix the finding or extend "until".`,
    );
    const active = ignores.filter((e) => !expired.includes(e));
    const verdict: GateVerdict = { passed: true, blockingCounts: {}, blockingTotal: 0, blockingNames: [], ignored: [], warnings };
    if (failOnSeverity === undefined) {
        return verdict;
    }
    const failed = `ImageScan gate failed for ${fullLabel(image)}: `;
    const next = "Nothing was stored; the next `pulumi up` adopts the same scan without starting a new one.";
    if (!isCompletedScan(result.scanStatus)) {
        const platform = unfinished?.platform;
        verdict.passed = false;
        verdict.message =
            result.scanStatus === "IMAGE_ARCHIVED"
                ? `${failed}failOnSeverity is ${failOnSeverity} but ${platform ? `its ${platform} image is` : "the image is"} archived, and ECR does not scan archived images. ` +
                  `Restore it from archive (aws ecr update-image-storage-class --repository-name ${image.repositoryName} ` +
                  `--image-id imageDigest=${unfinished?.imageDigest ?? image.imageDigest ?? "<digest>"} --target-storage-class STANDARD), wait for it to be restored, ` +
                  `then run \`pulumi up\` again; or unset failOnSeverity for this image.`
                : `${failed}failOnSeverity is ${failOnSeverity} but there is no completed scan to judge (status ${result.scanStatus}` +
                  `${platform ? ` of its ${platform} image, ${unfinished?.imageDigest}` : ""}). Fix the cause ECR reports, ` +
                  `${platform ? "leave that platform out with platforms, " : ""}or unset failOnSeverity for this image. ${next}`;
        return verdict;
    }

    const { blockingCounts, blockingNames } = verdict;
    verdict.ignored = leftOut(result.findings, failOnSeverity, active);
    for (const severity of atOrAbove(failOnSeverity)) {
        const listed = result.findings.filter((f) => f.severity === severity);
        const kept = listed.filter((f) => !active.some((e) => e.name === f.name));
        // Basic scanning: ECR's counts cover findings a listing might not return, so trust
        // the larger, less the listed ones that are ignored. Enhanced: the listing is
        // complete and holds only ACTIVE findings, while ECR's counts may include those
        // Inspector suppressed or closed, which must not block.
        const counted = result.scanType === "ENHANCED" ? listed.length : Math.max(result.findingSeverityCounts[severity] ?? 0, listed.length);
        const left = counted - (listed.length - kept.length);
        if (left > 0) {
            blockingCounts[severity] = left;
            verdict.blockingTotal += left;
            blockingNames.push(...[...new Set(kept.map((f) => f.name))].sort());
        }
    }
    // For an image index: which platform images have each finding.
    const where = (name: string) => {
        const platforms = result.findings.find((f) => f.name === name)?.platforms;
        return platforms ? `${name} (${platforms.join(", ")})` : name;
    };
    if (verdict.blockingTotal > 0) {
        const names = blockingNames.slice(0, MAX_NAMES_IN_MESSAGE);
        // ECR's counts may exceed what it listed: "more" covers both.
        const more = verdict.blockingTotal > names.length ? ` and ${verdict.blockingTotal - names.length} more` : "";
        const counts = Object.entries(blockingCounts).map(([s, n]) => `${s}: ${n}`);
        verdict.passed = false;
        verdict.message =
            `${failed}${verdict.blockingTotal} finding(s) at or above ${failOnSeverity} (${counts.join(", ")})` +
            `${names.length ? `: ${names.map(where).join(", ")}${more}` : ""}. Fix the image and push it, or accept a finding with ` +
            `ignoreFindings: [{ name: "${names[0] ?? "CVE-YYYY-NNNN"}", until: "YYYY-MM-DD", reason: "..." }]. ${next}`;
    }
    return verdict;
}
