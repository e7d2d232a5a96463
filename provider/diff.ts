// diff as a pure function of the old outputs, the new inputs and now. The provider
// does the one AWS call a plan may need (resolving a tag) and passes the answer in.

import { expiredIgnores, severityRank } from "./gate";
import { rescanDue } from "./quota";
import { ImageScanInputs, ImageScanOutputs } from "./types";
import { samePlatforms } from "./platforms";
import { containsUnknown } from "./validate";

export interface DiffContext {
    now: Date;
    /**
     * For tag-only inputs: the digest the tag resolves to now, or null when the tag (or
     * its repository) no longer exists. Undefined when not looked up.
     */
    resolvedDigest?: string | null;
    /** The region the SDK would use when news.region is unset; undefined if unknown. */
    defaultRegion?: string;
    /**
     * State holds a copy of an older ImageScan's whole provider (before it was a package),
     * not the small one that loads the package: an update rewrites it, without a scan.
     */
    providerOutdated?: boolean;
}

export interface DiffPlan {
    changes: boolean;
    replaces: string[];
    /** Why, in words: for tests and logs. */
    reasons: string[];
    /** Update must start a new scan (rescanAfterHours has passed). */
    rescan: boolean;
}

/** Settings that change behaviour but not which image is scanned: update in place. */
const SETTINGS = [
    "imageTag",
    "endpoint",
    "profile",
    "waitForCompletion",
    "timeoutSeconds",
    "rescanAfterHours",
    "failOnSeverity",
    "ignoreFindings",
    "platforms",
] as const;

export function planDiff(olds: ImageScanOutputs, news: ImageScanInputs, ctx: DiffContext): DiffPlan {
    const replaces: string[] = [];
    const reasons: string[] = [];
    const replace = (property: string, reason: string) => {
        replaces.push(property);
        reasons.push(reason);
    };
    // A preview of an input that comes from a resource not yet created: the engine sends
    // a sentinel. It may be anything at apply, so it is a change, and is never compared
    // with (or shown as) a real value.
    const unknown = (key: keyof ImageScanInputs) => containsUnknown(news[key]);

    if (unknown("repositoryName")) {
        replace("repositoryName", "repositoryName is not known until apply");
    } else if (news.repositoryName !== olds.repositoryName) {
        replace("repositoryName", `repositoryName ${olds.repositoryName} -> ${news.repositoryName}`);
    }
    // Unset registryId means "the caller's registry", which olds recorded as ECR reported it.
    if (unknown("registryId")) {
        replace("registryId", "registryId is not known until apply");
    } else if (news.registryId !== undefined && news.registryId !== olds.registryId) {
        replace("registryId", `registryId ${olds.registryId} -> ${news.registryId}`);
    }
    const region = news.region ?? ctx.defaultRegion;
    if (unknown("region")) {
        replace("region", "region is not known until apply");
    } else if (region !== undefined && region !== olds.region) {
        replace("region", `region ${olds.region} -> ${region}`);
    }

    if (news.imageDigest !== undefined) {
        if (unknown("imageDigest")) {
            replace("imageDigest", "imageDigest is not known until apply");
        } else if (news.imageDigest !== olds.imageDigest) {
            replace("imageDigest", `imageDigest ${olds.imageDigest} -> ${news.imageDigest}`);
        }
    } else if (unknown("imageTag")) {
        replace("imageDigest", "imageTag is not known until apply");
    } else if (ctx.resolvedDigest !== undefined && ctx.resolvedDigest !== olds.imageDigest) {
        // A moved tag is a new image; a vanished tag too (create then fails clearly).
        replace("imageDigest", `tag ${news.imageTag} ${ctx.resolvedDigest === null ? "no longer exists" : `moved to ${ctx.resolvedDigest}`}`);
    }

    if (replaces.length > 0) {
        return { changes: true, replaces, reasons, rescan: false };
    }

    for (const key of SETTINGS) {
        if (unknown(key)) {
            reasons.push(`${key} is not known until apply`);
        } else if (key === "platforms" ? !samePlatforms(olds.platforms, news.platforms) : JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null)) {
            reasons.push(`${key} changed`);
        }
    }
    // Due when due for any image scanned (an index has one per platform); state written
    // before `images` existed has only the one start.
    const starts = (olds.images ?? [olds]).map((i) => i.scanStartedAt).filter((t) => t !== undefined);
    const due = unknown("rescanAfterHours") ? [] : starts.filter((t) => rescanDue(t, news.rescanAfterHours, ctx.now));
    const rescan = due.length > 0;
    if (rescan) {
        reasons.push(`rescan due: ${news.rescanAfterHours} h since ${due.sort()[0]}`);
    }
    if (ctx.providerOutdated) {
        reasons.push("state holds a by-value copy of an older ImageScan provider: rewrite it (no scan)");
    }
    // Only these: a status ECR adds later, stored without waiting, would otherwise plan
    // an update on every run. Any image's: an index's status is its first unfinished one.
    const running = (olds.images ?? [olds]).find((i) => i.scanStatus === "IN_PROGRESS" || i.scanStatus === "PENDING");
    if (running) {
        reasons.push(`scan was ${running.scanStatus}: collect the result`);
    }
    // ImageScan 0.1 recorded an image index as UNSUPPORTED_IMAGE (it scanned no
    // platform image); an update now scans them.
    if (olds.images === undefined && olds.scanStatus === "UNSUPPORTED_IMAGE") {
        reasons.push("recorded UNSUPPORTED_IMAGE before image indexes were scanned: look again");
    }
    if (news.failOnSeverity !== undefined && !unknown("failOnSeverity") && !unknown("ignoreFindings")) {
        // An ignore entry that expired for a finding the gate left out last time: the gate
        // must see it again (update re-reads, never scans). ignoredFindings is complete;
        // state written before it existed has only the top 25 to go on. Only those
        // findings, so that a stale entry for one that is gone does not plan an update
        // forever.
        const threshold = severityRank(news.failOnSeverity);
        const accepted = (olds.ignoredFindings ?? olds.topFindings.filter((f) => severityRank(f.severity) >= threshold)).map((f) => f.name);
        const expired = expiredIgnores(news.ignoreFindings, ctx.now).filter((e) => accepted.includes(e.name));
        if (expired.length > 0) {
            reasons.push(`ignore expired: ${expired.map((e) => e.name).join(", ")}`);
        }
    }
    return { changes: reasons.length > 0, replaces: [], reasons, rescan };
}
