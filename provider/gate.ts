// The severity gate: decides whether a scan result may pass when failOnSeverity is set.
// Pure: the caller supplies now, and prints the warnings.

import { fullLabel, ImageRef } from "./image";
import { IgnoreEntry, ScanResult, SEVERITIES, Severity } from "./types";

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
 * When an ignore entry stops counting. A date-only `until` ("2026-12-31") covers that
 * whole day (UTC), as a person reading it would expect.
 */
export function ignoreExpiresAt(until: string): number {
    const at = Date.parse(until);
    return /^\d{4}-\d{2}-\d{2}$/.test(until) ? at + 24 * 3600_000 : at;
}

/** Ignore entries whose `until` has passed at `now`. */
export function expiredIgnores(ignores: IgnoreEntry[], now: Date): IgnoreEntry[] {
    return ignores.filter((e) => e.until !== undefined && ignoreExpiresAt(e.until) <= now.getTime());
}

export interface GateVerdict {
    passed: boolean;
    /** Findings left after ignores, per severity at or above the threshold. */
    blockingCounts: Record<string, number>;
    blockingTotal: number;
    /** Names of blocking findings, most severe first. */
    blockingNames: string[];
    /** One line per ignore entry whose `until` has passed. */
    warnings: string[];
    /** Set when the gate failed: the error text for the user. */
    message?: string;
}

export function evaluateGate(
    image: ImageRef,
    result: Pick<ScanResult, "scanStatus" | "findings" | "findingSeverityCounts">,
    failOnSeverity: Severity | undefined,
    ignores: IgnoreEntry[],
    now: Date,
): GateVerdict {
    const expired = expiredIgnores(ignores, now);
    const warnings = expired.map(
        (e) => `ignoreFindings entry "${e.name}" expired at ${e.until} and counts again for ${fullLabel(image)}; fix the finding or extend "until".`,
    );
    const active = new Set(ignores.filter((e) => !expired.includes(e)).map((e) => e.name));

    const pass: GateVerdict = { passed: true, blockingCounts: {}, blockingTotal: 0, blockingNames: [], warnings };
    if (failOnSeverity === undefined) {
        return pass;
    }
    if (!isCompletedScan(result.scanStatus)) {
        return {
            ...pass,
            passed: false,
            message:
                `ImageScan gate failed for ${fullLabel(image)}: failOnSeverity is ${failOnSeverity} but there is no ` +
                `completed scan to judge (status ${result.scanStatus}). Fix the cause ECR reports, or unset ` +
                `failOnSeverity for this image. Nothing was stored; the next \`pulumi up\` adopts the same scan.`,
        };
    }

    const threshold = severityRank(failOnSeverity);
    const blockingCounts: Record<string, number> = {};
    const blockingNames: string[] = [];
    for (const severity of SEVERITIES) {
        if (severityRank(severity) < threshold) {
            continue;
        }
        const listed = result.findings.filter((f) => f.severity === severity);
        const ignored = listed.filter((f) => active.has(f.name)).length;
        // ECR's counts cover findings that a listing might not return; trust the larger.
        const total = Math.max(result.findingSeverityCounts[severity] ?? 0, listed.length);
        const left = total - ignored;
        if (left > 0) {
            blockingCounts[severity] = left;
            blockingNames.push(...listed.filter((f) => !active.has(f.name)).map((f) => f.name).sort());
        }
    }
    const blockingTotal = Object.values(blockingCounts).reduce((a, b) => a + b, 0);
    if (blockingTotal === 0) {
        return pass;
    }

    const counts = Object.entries(blockingCounts)
        .map(([s, n]) => `${s}: ${n}`)
        .join(", ");
    const names = blockingNames.slice(0, MAX_NAMES_IN_MESSAGE);
    // ECR's counts may exceed what it listed: "more" covers both.
    const more = blockingTotal > names.length ? ` and ${blockingTotal - names.length} more` : "";
    const example = names[0] ?? "CVE-YYYY-NNNN";
    return {
        passed: false,
        blockingCounts,
        blockingTotal,
        blockingNames,
        warnings,
        message:
            `ImageScan gate failed for ${fullLabel(image)}: ${blockingTotal} finding(s) at or above ${failOnSeverity} ` +
            `(${counts})${names.length ? `: ${names.join(", ")}${more}` : ""}. Fix the image and push it, or accept a ` +
            `finding with ignoreFindings: [{ name: "${example}", until: "YYYY-MM-DD", reason: "..." }]. ` +
            `Nothing was stored; the next \`pulumi up\` adopts the same scan without starting a new one.`,
    };
}
