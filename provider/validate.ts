// check: validate raw inputs and fill defaults. Never calls AWS, never throws: every
// problem becomes a {property, reason} failure that names the field, the value and a fix.

import { CheckFailure, CheckResult } from "@pulumi/pulumi/dynamic";
import { dropUndefined, IgnoreEntry, ImageScanInputs, SEVERITIES, Severity } from "./types";
import { PLATFORM_PATTERN, samePlatform } from "./platforms";
import { ImageUriParts, parseImageUri, pinnedImageUri } from "./uri";

/** The engine sends this sentinel for values not known yet (preview of computed inputs). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const DEFAULT_TIMEOUT_SECONDS = 1200;
const MAX_TIMEOUT_SECONDS = 86400;
const MIN_RESCAN_AFTER_HOURS = 24;

const REPOSITORY_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
// ISO-8601 date (the whole day, UTC), or date-time with a zone: 2026-12-31,
// 2026-12-31T12:00:00Z, 2026-12-31T12:00+01:00. A date-time without a zone is refused:
// it would mean a different instant on each machine that reads it.
const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const ZONELESS_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/** True when a value, or anything inside it, is not known yet (a preview). */
export function containsUnknown(value: unknown, depth = 0): boolean {
    if (value === UNKNOWN) {
        return true;
    }
    // Inputs are shallow; the bound only stops a cyclic object (not from the engine).
    return depth < 8 && typeof value === "object" && value !== null && Object.values(value).some((v) => containsUnknown(v, depth + 1));
}

const USERINFO = "it must not hold user:password (shown here as ***); give credentials through the AWS SDK chain or profile.";

/** Every input ImageScan takes. */
export const INPUTS = [
    "imageUri",
    "repositoryName",
    "imageDigest",
    "imageTag",
    "registryId",
    "region",
    "endpoint",
    "profile",
    "waitForCompletion",
    "timeoutSeconds",
    "rescanAfterHours",
    "failOnSeverity",
    "ignoreFindings",
    "platforms",
];

/** What imageUri stands for. */
const URI_FIELDS = ["registryId", "region", "repositoryName", "imageTag", "imageDigest"] as const;

/** Validates raw inputs (whatever the program sent) into ImageScanInputs. */
export function validateInputs(news: Record<string, unknown>): CheckResult<ImageScanInputs> {
    const failures: CheckFailure[] = [];
    /** Shows a bad value in a message without dumping a huge one. */
    const show = (value: unknown): string => {
        let text: string;
        try {
            // JSON.stringify would print NaN and Infinity as null.
            text = (typeof value !== "number" && JSON.stringify(value)) || String(value);
        } catch {
            text = String(value);
        }
        return text.length > 80 ? `${text.slice(0, 77)}...` : text;
    };
    /**
     * `field` names the input in the reason. The engine looks a failure's property up
     * by its top-level name (`ignoreFindings`, not `ignoreFindings[0].until`) and prints
     * its raw value; an endpoint holding a password gets no property, so it is printed
     * only as masked here.
     */
    const fail = (field: string, value: unknown, fix: string) => {
        let shown = show(value);
        let property = field.replace(/[.[].*$/, "");
        if (field === "endpoint" && typeof value === "string") {
            // Up to the last @ of the authority: a password may hold an @ itself.
            const masked = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@");
            shown = show(masked);
            property = masked === value ? property : "";
        }
        failures.push({ property, reason: `${field} ${shown} is invalid: ${fix}` });
    };
    /**
     * A set value that `problem` accepts, else undefined (and a failure if it was set).
     * An unknown value passes through untouched, so that preview can go on.
     */
    const take = <T>(property: string, problem: (v: unknown) => string | undefined): T | undefined => {
        const value = news[property];
        const fix = value == null || value === UNKNOWN ? undefined : problem(value);
        if (fix) {
            fail(property, value, fix);
        }
        return fix || value == null ? undefined : (value as T);
    };
    const str = (property: string, rule: (v: string) => string | undefined) =>
        take<string>(property, (v) => (typeof v === "string" ? rule(v) : `it must be a string, not a ${typeof v}.`));

    for (const key of Object.keys(news)) {
        // __provider: added by the dynamic provider host to every resource.
        if (key !== "__provider" && !INPUTS.includes(key)) {
            failures.push({ property: key, reason: `unknown input "${key}" (value ${show(news[key])}): remove it, or fix its spelling.` });
        }
    }

    const repositoryName = str("repositoryName", (v) =>
        v.length < 2 || v.length > 256
            ? `it must be 2 to 256 characters long (it has ${v.length}).`
            : REPOSITORY_PATTERN.test(v)
              ? undefined
              : "use lowercase letters, digits and . _ - separators, with / between path parts, e.g. \"team/web\".",
    );
    if (news.repositoryName == null && news.imageUri == null) {
        failures.push({ property: "repositoryName", reason: "repositoryName is required (or imageUri): the name of the ECR repository, e.g. \"web\"." });
    }
    const imageDigest = str("imageDigest", (v) => (/^sha256:[0-9a-f]{64}$/.test(v) ? undefined : "it must be \"sha256:\" followed by 64 lowercase hex characters."));
    const imageTag = str("imageTag", (v) =>
        v.length < 1 || v.length > 300
            ? `it must be 1 to 300 characters long (it has ${v.length}).`
            : /[\s:@]/.test(v)
              ? "a tag has no whitespace, \":\" or \"@\"; give the tag alone, e.g. \"1.4.2\", and a digest in imageDigest."
              : undefined,
    );
    if (news.imageDigest == null && news.imageTag == null && news.imageUri == null) {
        failures.push({ property: "imageDigest", reason: "give imageUri, imageDigest or imageTag: none is set." });
    }
    const registryId = str("registryId", (v) =>
        /^\d{12}$/.test(v) ? undefined : "it must be a 12-digit AWS account ID, e.g. \"123456789012\", or unset for your own registry.",
    );
    const region = str("region", (v) => (/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(v) ? undefined : "it must be an AWS region such as \"us-east-1\", or unset to use aws:region."));
    const endpoint = str("endpoint", (v) => {
        let url: URL;
        try {
            url = new URL(v);
        } catch {
            return "it must be an absolute http(s) URL, e.g. \"http://127.0.0.1:5000\".";
        }
        if (url.protocol !== "http:" && url.protocol !== "https:") {
            return `the scheme must be http or https, not ${url.protocol.replace(":", "")}.`;
        }
        // State and logs would hold the credentials: refuse them outright.
        return url.username || url.password ? USERINFO : undefined;
    });
    const profile = str("profile", (v) => (v ? undefined : "it must not be empty; leave it unset for the default chain."));
    const waitForCompletion = take<boolean>("waitForCompletion", (v) => (typeof v === "boolean" ? undefined : "it must be true or false.")) ?? true;
    const timeoutSeconds =
        take<number>("timeoutSeconds", (v) =>
            typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_TIMEOUT_SECONDS
                ? undefined
                : `it must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}; the default is ${DEFAULT_TIMEOUT_SECONDS}.`,
        ) ?? DEFAULT_TIMEOUT_SECONDS;
    const rescanAfterHours = take<number>("rescanAfterHours", (v) =>
        typeof v === "number" && Number.isFinite(v) && v >= MIN_RESCAN_AFTER_HOURS
            ? undefined
            : `it must be at least ${MIN_RESCAN_AFTER_HOURS} (hours): ECR allows one scan per image per 24 h. Leave it unset to never rescan the same digest.`,
    );
    const failOnSeverity = take<Severity>("failOnSeverity", (v) =>
        (SEVERITIES as readonly unknown[]).includes(v) ? undefined : `it must be one of ${SEVERITIES.join(", ")}. Leave it unset to never fail on findings.`,
    );

    const platforms = take<string[]>("platforms", (v) => {
        if (!Array.isArray(v) || v.length === 0) {
            return 'it must be a non-empty list of platforms such as ["linux/amd64", "linux/arm64"]; leave it unset to scan every platform image of an index.';
        }
        const bad = v.find((p) => p !== UNKNOWN && (typeof p !== "string" || !PLATFORM_PATTERN.test(p)));
        if (bad !== undefined) {
            return `${show(bad)} is not a platform: write os/arch or os/arch/variant, e.g. "linux/amd64" or "linux/arm/v7".`;
        }
        const twice = v.find((p, i) => p !== UNKNOWN && v.findIndex((q) => q !== UNKNOWN && samePlatform(String(q), String(p))) !== i);
        return twice === undefined ? undefined : `${show(twice)} is listed twice (arm64 is arm64/v8, arm is arm/v7): list each platform once.`;
    });

    const ignoreFindings: IgnoreEntry[] = [];
    const list = take<unknown>("ignoreFindings", (v) => (Array.isArray(v) ? undefined : "it must be a list of finding names or {name, until?, reason?} objects."));
    (Array.isArray(list) ? list : []).forEach((entry, i) => {
        const property = `ignoreFindings[${i}]`;
        if (containsUnknown(entry)) {
            // Known at apply, when check runs again. Kept as is, so that diff sees it.
            ignoreFindings.push(entry as IgnoreEntry);
            return;
        }
        if (typeof entry === "string") {
            if (entry) {
                ignoreFindings.push({ name: entry });
            } else {
                fail(property, entry, "a finding name must not be empty; give the name ECR reports, e.g. \"CVE-2024-1234\".");
            }
            return;
        }
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
            fail(property, entry, "an entry must be a finding name or {name, until?, reason?}.");
            return;
        }
        const { name, until, reason } = entry as Record<string, unknown>;
        for (const key of Object.keys(entry)) {
            if (!["name", "until", "reason"].includes(key)) {
                fail(`${property}.${key}`, entry[key as keyof typeof entry], `${property} has no key "${key}"; the keys are name, until and reason.`);
            }
        }
        if (typeof name !== "string" || !name) {
            fail(`${property}.name`, name, "it must be a non-empty finding name, e.g. \"CVE-2024-1234\".");
            return;
        }
        // ISO-8601, and a real calendar day: Date.parse rolls 2026-02-30 over to March, so
        // the day must read the same back (toJSON is null for an invalid date).
        const isDate = (v: unknown) =>
            typeof v === "string" && ISO_DATE_PATTERN.test(v) && !Number.isNaN(Date.parse(v)) && new Date(v.slice(0, 10)).toJSON()?.startsWith(v.slice(0, 10));
        if (until != null && !isDate(until)) {
            fail(
                `${property}.until`,
                until,
                typeof until === "string" && ZONELESS_PATTERN.test(until)
                    ? `a date-time needs a zone, or it means a different instant on each machine: write "${until}Z" for UTC, or add an offset such as "+01:00". A date alone ("${until.slice(0, 10)}") covers that whole day, UTC.`
                    : "it must be an ISO-8601 date such as \"2026-12-31\" (the whole day, UTC) or a date-time with a zone, such as \"2026-12-31T12:00:00Z\" or \"2026-12-31T12:00:00+01:00\".",
            );
            return;
        }
        if (reason != null && typeof reason !== "string") {
            fail(`${property}.reason`, reason, "it must be a string.");
            return;
        }
        ignoreFindings.push(dropUndefined({ name, until: until ?? undefined, reason: reason ?? undefined }) as IgnoreEntry);
    });

    // imageUri stands for registryId, region, repositoryName, and a tag and/or digest.
    // A field also given must agree with it; one it leaves out stays as given.
    const uri = str("imageUri", (v) => {
        const parsed = parseImageUri(v);
        return "problem" in parsed ? parsed.problem : undefined;
    });
    const fromUri: Partial<Record<(typeof URI_FIELDS)[number], string>> = {};
    if (uri === UNKNOWN) {
        // Known at apply: so is everything it stands for that is not given on its own.
        for (const field of URI_FIELDS) {
            fromUri[field] = UNKNOWN;
        }
    } else if (uri !== undefined) {
        const parts = parseImageUri(uri) as ImageUriParts;
        for (const field of URI_FIELDS) {
            const given = news[field];
            const implied = parts[field];
            if (given != null && given !== UNKNOWN && implied !== undefined && given !== implied) {
                failures.push({
                    property: field,
                    reason: `${field} ${show(given)} disagrees with imageUri ${show(uri)}, which gives ${show(implied)}: set one of them, or make them agree.`,
                });
            }
            fromUri[field] = implied;
        }
    }

    if (failures.length > 0) {
        return { failures };
    }
    const resolved = {
        repositoryName: repositoryName ?? fromUri.repositoryName,
        imageDigest: imageDigest ?? fromUri.imageDigest,
        imageTag: imageTag ?? fromUri.imageTag,
        registryId: registryId ?? fromUri.registryId,
        region: region ?? fromUri.region,
    };
    // imageUri is an output too, pinned by digest. In a preview Pulumi shows the checked
    // inputs as the outputs to be: so the checked imageUri is the pinned one when the
    // digest is known here, else absent (unknown until the create resolves the tag).
    const known = [resolved.registryId, resolved.region, resolved.repositoryName, resolved.imageDigest].every((v) => v !== undefined && !containsUnknown(v));
    const inputs = {
        imageUri:
            uri === UNKNOWN
                ? uri
                : uri !== undefined && known
                  ? pinnedImageUri(resolved.registryId as string, resolved.region as string, resolved.repositoryName as string, resolved.imageDigest as string)
                  : undefined,
        ...resolved,
        endpoint,
        profile,
        waitForCompletion,
        timeoutSeconds,
        rescanAfterHours,
        failOnSeverity,
        ignoreFindings: list === UNKNOWN ? list : ignoreFindings,
        platforms,
    };
    // The types hold for known values; an unknown one is the UNKNOWN string.
    return { inputs: dropUndefined(inputs) as ImageScanInputs };
}
