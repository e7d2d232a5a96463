// check: validate raw inputs and fill defaults. Never calls AWS, never throws: every
// problem becomes a {property, reason} failure that names the field, the value and a fix.

import { CheckFailure, CheckResult } from "@pulumi/pulumi/dynamic";
import { dropUndefined, IgnoreEntry, ImageScanInputs, SEVERITIES, Severity } from "./types";

/** The engine sends this sentinel for values not known yet (preview of computed inputs). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const DEFAULT_TIMEOUT_SECONDS = 1200;
export const MAX_TIMEOUT_SECONDS = 86400;
export const MIN_RESCAN_AFTER_HOURS = 24;

const REPOSITORY_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const TAG_FORBIDDEN = /[\s:@]/;
const REGISTRY_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
// ISO-8601 date or date-time, e.g. 2026-12-31 or 2026-12-31T12:00:00Z.
const ISO_DATE_PATTERN =
    /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

// Arrays, not Sets: the closure serializer writes a Set into state as {}.
const USERINFO = "it must not hold user:password (shown here as ***); give credentials through the AWS SDK chain or profile.";

const KNOWN_PROPERTIES = [
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
    // Added by the dynamic provider host to every resource.
    "__provider",
];

/** Shows a bad value in a message without dumping a huge one. */
function show(value: unknown): string {
    if (typeof value === "number") {
        // JSON.stringify would print NaN and Infinity as null.
        return String(value);
    }
    let text: string;
    try {
        text = JSON.stringify(value) ?? String(value);
    } catch {
        text = String(value);
    }
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** ISO-8601 and a real calendar day: Date.parse rolls 2026-02-30 over to March. */
function isIsoDate(text: string): boolean {
    if (!ISO_DATE_PATTERN.test(text) || Number.isNaN(Date.parse(text))) {
        return false;
    }
    const [y, m, d] = text.slice(0, 10).split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** The endpoint as safe to print: user:password replaced. */
function redactUrl(text: string): string {
    return text.replace(/\/\/[^/@]*@/, "//***@");
}

function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** Validates raw inputs (whatever the program sent) into ImageScanInputs. */
export function validateInputs(news: Record<string, unknown>): CheckResult<ImageScanInputs> {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });

    for (const key of Object.keys(news)) {
        if (!KNOWN_PROPERTIES.includes(key)) {
            fail(key, `unknown property "${key}" (value ${show(news[key])}). Remove it, or check its spelling against the ImageScan input reference.`);
        }
    }

    const str = (property: string, rule: (v: string) => string | undefined): string | undefined => {
        const value = news[property];
        if (value === undefined || value === null || isUnknown(value)) {
            return undefined;
        }
        if (typeof value !== "string") {
            fail(property, `${property} must be a string; got ${show(value)} (${typeof value}).`);
            return undefined;
        }
        const problem = rule(value);
        if (problem === USERINFO) {
            fail(property, `${property} ${show(redactUrl(value))} is invalid: ${problem}`);
            return undefined;
        }
        if (problem) {
            fail(property, `${property} ${show(value)} is invalid: ${problem}`);
            return undefined;
        }
        return value;
    };

    const repositoryName = str("repositoryName", (v) =>
        v.length < 2 || v.length > 256
            ? `it must be 2 to 256 characters long (it has ${v.length}).`
            : REPOSITORY_PATTERN.test(v)
              ? undefined
              : "use lowercase letters, digits and . _ - separators, with / between path parts, e.g. \"team/web\".",
    );
    if (news.repositoryName == null) {
        fail("repositoryName", "repositoryName is required: the name of the ECR repository, e.g. \"web\".");
    }

    const imageDigest = str("imageDigest", (v) =>
        DIGEST_PATTERN.test(v) ? undefined : "it must be \"sha256:\" followed by 64 lowercase hex characters.",
    );
    const imageTag = str("imageTag", (v) =>
        v.length < 1 || v.length > 300
            ? `it must be 1 to 300 characters long (it has ${v.length}).`
            : TAG_FORBIDDEN.test(v)
              ? "a tag has no whitespace, \":\" or \"@\"; give the tag alone, e.g. \"1.4.2\", and a digest in imageDigest."
              : undefined,
    );
    if (news.imageDigest == null && news.imageTag == null) {
        fail("imageDigest", "give imageDigest or imageTag (or both): neither is set.");
    }

    const registryId = str("registryId", (v) =>
        REGISTRY_PATTERN.test(v) ? undefined : "it must be a 12-digit AWS account ID, e.g. \"123456789012\", or unset for your own registry.",
    );
    const region = str("region", (v) =>
        REGION_PATTERN.test(v) ? undefined : "it must be an AWS region such as \"us-east-1\", or unset to use aws:region.",
    );
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
        if (url.username || url.password) {
            // State and logs would hold the credentials: refuse them outright.
            return USERINFO;
        }
        return undefined;
    });
    const profile = str("profile", (v) => (v.length === 0 ? "it must not be empty; leave it unset for the default chain." : undefined));

    let waitForCompletion = true;
    if (news.waitForCompletion != null && !isUnknown(news.waitForCompletion)) {
        if (typeof news.waitForCompletion === "boolean") {
            waitForCompletion = news.waitForCompletion;
        } else {
            fail("waitForCompletion", `waitForCompletion must be true or false; got ${show(news.waitForCompletion)}.`);
        }
    }

    let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
    if (news.timeoutSeconds != null && !isUnknown(news.timeoutSeconds)) {
        const v = news.timeoutSeconds;
        if (typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= MAX_TIMEOUT_SECONDS) {
            timeoutSeconds = v;
        } else {
            fail("timeoutSeconds", `timeoutSeconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}; got ${show(v)}. The default is ${DEFAULT_TIMEOUT_SECONDS}.`);
        }
    }

    let rescanAfterHours: number | undefined;
    if (news.rescanAfterHours != null && !isUnknown(news.rescanAfterHours)) {
        const v = news.rescanAfterHours;
        if (typeof v === "number" && Number.isFinite(v) && v >= MIN_RESCAN_AFTER_HOURS) {
            rescanAfterHours = v;
        } else {
            fail("rescanAfterHours", `rescanAfterHours must be a number of hours of at least ${MIN_RESCAN_AFTER_HOURS}, since ECR allows one scan per image per 24 hours; got ${show(v)}. Leave it unset to never rescan the same digest.`);
        }
    }

    let failOnSeverity: Severity | undefined;
    if (news.failOnSeverity != null && !isUnknown(news.failOnSeverity)) {
        const v = news.failOnSeverity;
        if (typeof v === "string" && (SEVERITIES as readonly string[]).includes(v)) {
            failOnSeverity = v as Severity;
        } else {
            fail("failOnSeverity", `failOnSeverity must be one of ${SEVERITIES.join(", ")}; got ${show(v)}. Leave it unset to never fail on findings.`);
        }
    }

    const ignoreFindings: IgnoreEntry[] = [];
    if (news.ignoreFindings != null && !isUnknown(news.ignoreFindings)) {
        const v = news.ignoreFindings;
        if (!Array.isArray(v)) {
            fail("ignoreFindings", `ignoreFindings must be a list of finding names or {name, until?, reason?} objects; got ${show(v)}.`);
        } else {
            v.forEach((entry: unknown, i: number) => {
                const property = `ignoreFindings[${i}]`;
                if (isUnknown(entry)) {
                    return;
                }
                if (typeof entry === "string") {
                    if (entry.length === 0) {
                        fail(property, `${property} is an empty finding name; give the name ECR reports, e.g. "CVE-2024-1234".`);
                    } else {
                        ignoreFindings.push({ name: entry });
                    }
                    return;
                }
                if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
                    fail(property, `${property} must be a finding name or {name, until?, reason?}; got ${show(entry)}.`);
                    return;
                }
                const e = entry as Record<string, unknown>;
                for (const key of Object.keys(e)) {
                    if (!["name", "until", "reason"].includes(key)) {
                        fail(`${property}.${key}`, `${property} has unknown key "${key}"; the keys are name, until and reason.`);
                    }
                }
                if (typeof e.name !== "string" || e.name.length === 0) {
                    fail(`${property}.name`, `${property}.name must be a non-empty finding name, e.g. "CVE-2024-1234"; got ${show(e.name)}.`);
                    return;
                }
                const out: IgnoreEntry = { name: e.name };
                if (e.until != null) {
                    if (typeof e.until !== "string" || !isIsoDate(e.until)) {
                        fail(`${property}.until`, `${property}.until must be an ISO-8601 date such as "2026-12-31" or "2026-12-31T00:00:00Z"; got ${show(e.until)}.`);
                        return;
                    }
                    out.until = e.until;
                }
                if (e.reason != null) {
                    if (typeof e.reason !== "string") {
                        fail(`${property}.reason`, `${property}.reason must be a string; got ${show(e.reason)}.`);
                        return;
                    }
                    out.reason = e.reason;
                }
                ignoreFindings.push(out);
            });
        }
    }

    if (failures.length > 0) {
        return { failures };
    }

    // Unknown values pass through untouched so that preview can go on.
    const keep = <T>(property: string, value: T | undefined): T | undefined =>
        isUnknown(news[property]) ? (news[property] as T) : value;

    const inputs: ImageScanInputs = {
        repositoryName: keep("repositoryName", repositoryName) as string,
        imageDigest: keep("imageDigest", imageDigest),
        imageTag: keep("imageTag", imageTag),
        registryId: keep("registryId", registryId),
        region: keep("region", region),
        endpoint: keep("endpoint", endpoint),
        profile: keep("profile", profile),
        waitForCompletion: keep("waitForCompletion", waitForCompletion) as boolean,
        timeoutSeconds: keep("timeoutSeconds", timeoutSeconds) as number,
        rescanAfterHours: keep("rescanAfterHours", rescanAfterHours),
        failOnSeverity: keep("failOnSeverity", failOnSeverity),
        ignoreFindings: keep("ignoreFindings", ignoreFindings) as IgnoreEntry[],
    };
    return { inputs: dropUndefined(inputs) };
}
