import { strict as assert } from "assert";
import { ImageScanProvider } from "../provider/provider";
import { ImageScanInputs } from "../provider/types";
import { containsUnknown, UNKNOWN, validateInputs } from "../provider/validate";

const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
const BASE: Record<string, unknown> = { repositoryName: "web", imageDigest: DIGEST };

/** BASE with overrides; an override of `OMIT` deletes the key. */
const OMIT = Symbol("omit");
function inputs(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const news: Record<string, unknown> = { ...BASE };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === OMIT) {
            delete news[k];
        } else {
            news[k] = v;
        }
    }
    return news;
}

function expectValid(news: Record<string, unknown>) {
    const result = validateInputs(news);
    assert.deepEqual(result.failures ?? [], [], `unexpected failures for ${JSON.stringify(news)}`);
    assert.ok(result.inputs, "inputs must be returned when there are no failures");
    return result.inputs!;
}

interface Invalid {
    name: string;
    news: Record<string, unknown>;
    property: string;
    /** What the reason must contain: the bad value, or a pattern around it. */
    inReason: (string | RegExp)[];
}

function expectInvalid(c: Invalid) {
    const result = validateInputs(c.news);
    assert.equal(result.inputs, undefined, `${c.name}: no inputs when check fails`);
    const failures = result.failures ?? [];
    assert.deepEqual(
        failures.map((f) => f.property),
        [c.property],
        `${c.name}: exactly one failure, naming ${c.property}; got ${JSON.stringify(failures)}`,
    );
    const reason = failures[0].reason;
    assert.equal(typeof reason, "string");
    for (const want of c.inReason) {
        if (typeof want === "string") {
            assert.ok(reason.includes(want), `${c.name}: reason ${JSON.stringify(reason)} must contain ${JSON.stringify(want)}`);
        } else {
            assert.match(reason, want, `${c.name}: reason ${JSON.stringify(reason)}`);
        }
    }
}

/** A number as a whole token, so that "0" does not match inside "1200". */
const num = (n: string) => new RegExp(`(^|[^0-9.])${n.replace(".", "\\.")}(?![0-9]|\\.[0-9])`);

const LONG_REPO = "a".repeat(257);
const LONG_TAG = "t".repeat(301);

const INVALID: Invalid[] = [
    // repositoryName
    { name: "repositoryName missing", news: inputs({ repositoryName: OMIT }), property: "repositoryName", inReason: [/required/] },
    { name: "repositoryName null", news: inputs({ repositoryName: null }), property: "repositoryName", inReason: [/required/] },
    { name: "repositoryName wrong type", news: inputs({ repositoryName: 42 }), property: "repositoryName", inReason: [num("42")] },
    { name: "repositoryName 1 char", news: inputs({ repositoryName: "a" }), property: "repositoryName", inReason: ['"a"'] },
    { name: "repositoryName 257 chars", news: inputs({ repositoryName: LONG_REPO }), property: "repositoryName", inReason: [LONG_REPO.slice(0, 40), num("257")] },
    { name: "repositoryName uppercase", news: inputs({ repositoryName: "Web" }), property: "repositoryName", inReason: ['"Web"'] },
    { name: "repositoryName a//b", news: inputs({ repositoryName: "a//b" }), property: "repositoryName", inReason: ['"a//b"'] },
    { name: "repositoryName trailing slash", news: inputs({ repositoryName: "team/" }), property: "repositoryName", inReason: ['"team/"'] },
    { name: "repositoryName leading separator", news: inputs({ repositoryName: "-web" }), property: "repositoryName", inReason: ['"-web"'] },

    // imageDigest
    { name: "imageDigest bad prefix", news: inputs({ imageDigest: "sha512:" + "0".repeat(64) }), property: "imageDigest", inReason: ["sha512:0000"] },
    { name: "imageDigest no prefix", news: inputs({ imageDigest: "0".repeat(64) }), property: "imageDigest", inReason: ["0".repeat(40)] },
    { name: "imageDigest 63 hex", news: inputs({ imageDigest: "sha256:" + "a".repeat(63) }), property: "imageDigest", inReason: ["sha256:" + "a".repeat(40)] },
    { name: "imageDigest 65 hex", news: inputs({ imageDigest: "sha256:" + "a".repeat(65) }), property: "imageDigest", inReason: ["sha256:" + "a".repeat(40)] },
    { name: "imageDigest uppercase hex", news: inputs({ imageDigest: "sha256:" + "ABCDEF".repeat(10) + "ABCD" }), property: "imageDigest", inReason: ["sha256:ABCDEF"] },
    { name: "imageDigest wrong type", news: inputs({ imageDigest: 7 }), property: "imageDigest", inReason: [num("7")] },

    // imageTag
    { name: "imageTag empty", news: inputs({ imageTag: "" }), property: "imageTag", inReason: ['""'] },
    { name: "imageTag 301 chars", news: inputs({ imageTag: LONG_TAG }), property: "imageTag", inReason: [LONG_TAG.slice(0, 40), num("301")] },
    { name: "imageTag with space", news: inputs({ imageTag: "v 1" }), property: "imageTag", inReason: ['"v 1"'] },
    { name: "imageTag with tab", news: inputs({ imageTag: "v\t1" }), property: "imageTag", inReason: ['"v\\t1"'] },
    { name: "imageTag with colon", news: inputs({ imageTag: "web:1.0" }), property: "imageTag", inReason: ['"web:1.0"'] },
    { name: "imageTag with @", news: inputs({ imageTag: "1.0@sha256" }), property: "imageTag", inReason: ['"1.0@sha256"'] },
    {
        name: "imageTag empty and no digest",
        news: inputs({ imageDigest: OMIT, imageTag: "" }),
        property: "imageTag",
        inReason: ['""'],
    },

    // registryId
    { name: "registryId 11 digits", news: inputs({ registryId: "12345678901" }), property: "registryId", inReason: ["12345678901"] },
    { name: "registryId 13 digits", news: inputs({ registryId: "1234567890123" }), property: "registryId", inReason: ["1234567890123"] },
    { name: "registryId letters", news: inputs({ registryId: "12345678901a" }), property: "registryId", inReason: ["12345678901a"] },
    { name: "registryId as number", news: inputs({ registryId: 123456789012 }), property: "registryId", inReason: ["123456789012"] },

    // region
    { name: "region useast1", news: inputs({ region: "useast1" }), property: "region", inReason: ['"useast1"'] },
    { name: "region uppercase", news: inputs({ region: "US-EAST-1" }), property: "region", inReason: ['"US-EAST-1"'] },
    { name: "region without number", news: inputs({ region: "us-east" }), property: "region", inReason: ['"us-east"'] },

    // endpoint
    { name: "endpoint relative", news: inputs({ endpoint: "ecr.example.com" }), property: "endpoint", inReason: ["ecr.example.com"] },
    { name: "endpoint path only", news: inputs({ endpoint: "/v1/ecr" }), property: "endpoint", inReason: ["/v1/ecr"] },
    { name: "endpoint ftp", news: inputs({ endpoint: "ftp://ecr.example.com" }), property: "endpoint", inReason: ["ftp://ecr.example.com"] },
    { name: "endpoint with user:pass", news: inputs({ endpoint: "http://user:pass@host" }), property: "", inReason: ["endpoint", "http://***@host"] },

    // profile
    { name: "profile empty", news: inputs({ profile: "" }), property: "profile", inReason: ['""'] },
    { name: "profile wrong type", news: inputs({ profile: false }), property: "profile", inReason: ["false"] },

    // waitForCompletion
    { name: "waitForCompletion string", news: inputs({ waitForCompletion: "yes" }), property: "waitForCompletion", inReason: ['"yes"'] },
    { name: "waitForCompletion number", news: inputs({ waitForCompletion: 1 }), property: "waitForCompletion", inReason: [num("1")] },
    { name: "waitForCompletion string false", news: inputs({ waitForCompletion: "false" }), property: "waitForCompletion", inReason: ['"false"'] },

    // timeoutSeconds
    { name: "timeoutSeconds 0", news: inputs({ timeoutSeconds: 0 }), property: "timeoutSeconds", inReason: [num("0")] },
    { name: "timeoutSeconds negative", news: inputs({ timeoutSeconds: -5 }), property: "timeoutSeconds", inReason: ["-5"] },
    { name: "timeoutSeconds 86401", news: inputs({ timeoutSeconds: 86401 }), property: "timeoutSeconds", inReason: [num("86401")] },
    { name: "timeoutSeconds 1.5", news: inputs({ timeoutSeconds: 1.5 }), property: "timeoutSeconds", inReason: [num("1.5")] },
    { name: 'timeoutSeconds "10"', news: inputs({ timeoutSeconds: "10" }), property: "timeoutSeconds", inReason: ['"10"'] },

    // rescanAfterHours
    { name: "rescanAfterHours 23", news: inputs({ rescanAfterHours: 23 }), property: "rescanAfterHours", inReason: [num("23")] },
    { name: "rescanAfterHours 0", news: inputs({ rescanAfterHours: 0 }), property: "rescanAfterHours", inReason: [num("0")] },
    { name: "rescanAfterHours NaN", news: inputs({ rescanAfterHours: NaN }), property: "rescanAfterHours", inReason: ["NaN"] },
    { name: "rescanAfterHours Infinity", news: inputs({ rescanAfterHours: Infinity }), property: "rescanAfterHours", inReason: ["Infinity"] },
    { name: 'rescanAfterHours "24"', news: inputs({ rescanAfterHours: "24" }), property: "rescanAfterHours", inReason: ['"24"'] },

    // failOnSeverity
    { name: "failOnSeverity SEVERE", news: inputs({ failOnSeverity: "SEVERE" }), property: "failOnSeverity", inReason: ['"SEVERE"'] },
    { name: "failOnSeverity lowercase", news: inputs({ failOnSeverity: "high" }), property: "failOnSeverity", inReason: ['"high"'] },
    { name: "failOnSeverity UNDEFINED", news: inputs({ failOnSeverity: "UNDEFINED" }), property: "failOnSeverity", inReason: ['"UNDEFINED"'] },
    { name: "failOnSeverity number", news: inputs({ failOnSeverity: 3 }), property: "failOnSeverity", inReason: [num("3")] },

    // ignoreFindings
    { name: "ignoreFindings not an array", news: inputs({ ignoreFindings: "CVE-2024-1234" }), property: "ignoreFindings", inReason: ["CVE-2024-1234"] },
    { name: "ignoreFindings object", news: inputs({ ignoreFindings: { name: "CVE-2024-1234" } }), property: "ignoreFindings", inReason: ["CVE-2024-1234"] },
    { name: "ignoreFindings empty string entry", news: inputs({ ignoreFindings: [""] }), property: "ignoreFindings", inReason: ["ignoreFindings[0]", /empty/] },
    { name: "ignoreFindings second entry bad", news: inputs({ ignoreFindings: ["CVE-1", ""] }), property: "ignoreFindings", inReason: ["ignoreFindings[1]", /empty/] },
    { name: "ignoreFindings number entry", news: inputs({ ignoreFindings: [42] }), property: "ignoreFindings", inReason: ["ignoreFindings[0]", num("42")] },
    { name: "ignoreFindings object without name", news: inputs({ ignoreFindings: [{ reason: "accepted" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].name", "undefined"] },
    { name: "ignoreFindings object with empty name", news: inputs({ ignoreFindings: [{ name: "" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].name", '""'] },
    { name: "ignoreFindings until next tuesday", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "next tuesday" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", '"next tuesday"'] },
    { name: "ignoreFindings until 2026-13-45", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-13-45" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", '"2026-13-45"'] },
    // Not a calendar date; V8's Date.parse rolls it over to 2026-03-02.
    { name: "ignoreFindings until 2026-02-30", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-02-30" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", '"2026-02-30"'] },
    { name: "ignoreFindings until 12/31/2026", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "12/31/2026" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", '"12/31/2026"'] },
    // A date-time without a zone is a different instant on each machine that reads it.
    {
        name: "ignoreFindings until a date-time without a zone",
        news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T12:00" }] }),
        property: "ignoreFindings",
        inReason: ["ignoreFindings[0].until", '"2026-12-31T12:00"', /needs a zone/, '"2026-12-31T12:00Z"', /whole day, UTC/],
    },
    {
        name: "ignoreFindings until a date-time with seconds, without a zone",
        news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T12:00:00.000" }] }),
        property: "ignoreFindings",
        inReason: ["ignoreFindings[0].until", /needs a zone/],
    },
    { name: "ignoreFindings until an offset without a colon", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T12:00:00+0200" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", /\+01:00/] },
    { name: "ignoreFindings until number", news: inputs({ ignoreFindings: [{ name: "CVE-1", until: 20261231 }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].until", num("20261231")] },
    { name: "ignoreFindings reason not string", news: inputs({ ignoreFindings: [{ name: "CVE-1", reason: 5 }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].reason", num("5")] },
    { name: "ignoreFindings unknown key", news: inputs({ ignoreFindings: [{ name: "CVE-1", severity: "HIGH" }] }), property: "ignoreFindings", inReason: ["ignoreFindings[0].severity", '"severity"'] },

    // unknown properties
    { name: "unknown property", news: inputs({ repoName: "web" }), property: "repoName", inReason: ['"repoName"', '"web"'] },
    { name: "misspelled property", news: inputs({ failOnSeverty: "HIGH" }), property: "failOnSeverty", inReason: ['"failOnSeverty"'] },
];

const HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";

describe("validateInputs: imageUri", () => {
    const cases: [string, string, Record<string, string>][] = [
        ["awsx.ecr.Image.imageUri (pinned by digest)", `${HOST}/web@${DIGEST}`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "web", imageDigest: DIGEST }],
        ["docker-build.Image.ref (tag and digest)", `${HOST}/team/web:1.4.2@${DIGEST}`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "team/web", imageTag: "1.4.2", imageDigest: DIGEST }],
        ["what docker push printed (a tag)", `${HOST}/web:latest`, { registryId: "123456789012", region: "eu-west-1", repositoryName: "web", imageTag: "latest" }],
        ["a China region", `210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/web:v1`, { registryId: "210987654321", region: "cn-north-1", repositoryName: "web", imageTag: "v1" }],
    ];
    for (const [what, imageUri, parts] of cases) {
        it(`${what} fills the inputs it stands for`, () => {
            const got = expectValid({ imageUri }) as unknown as Record<string, unknown>;
            // Checked, imageUri is the output to be: pinned by digest, or not known before the create.
            const pinned = parts.imageDigest ? `${parts.registryId}.dkr.ecr.${parts.region}.amazonaws.com/${parts.repositoryName}@${parts.imageDigest}` : undefined;
            assert.equal(got.imageUri, pinned);
            for (const [k, v] of Object.entries(parts)) {
                assert.equal(got[k], v, k);
            }
        });
    }
    it("a field also given that agrees is fine; one that does not is a failure naming both", () => {
        expectValid({ imageUri: `${HOST}/web:v1`, repositoryName: "web", region: "eu-west-1", registryId: "123456789012" });
        const r = validateInputs({ imageUri: `${HOST}/web:v1`, repositoryName: "api", region: "us-east-1" });
        assert.deepEqual(r.failures?.map((f) => f.property).sort(), ["region", "repositoryName"]);
        const reason = r.failures?.find((f) => f.property === "repositoryName")?.reason ?? "";
        assert.match(reason, /repositoryName "api" disagrees with imageUri "123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/web:v1", which gives "web"/);
    });
    it("a digest given beside a tag-only imageUri is kept: the digest picks the image", () => {
        const got = expectValid({ imageUri: `${HOST}/web:v1`, imageDigest: DIGEST });
        assert.equal(got.imageDigest, DIGEST);
        assert.equal(got.imageTag, "v1");
    });
    const bad: [string, unknown, RegExp][] = [
        ["not ECR's host", "docker.io/library/nginx:1.27", /ECR registry host/],
        ["no tag or digest", `${HOST}/web`, /names no image/],
        ["a short digest", `${HOST}/web@sha256:abc`, /64 lowercase hex/],
        ["an upper-case repository", `${HOST}/Web:v1`, /repository \(lowercase/],
        ["a number", 42, /must be a string/],
    ];
    for (const [what, imageUri, why] of bad) {
        it(`${what} is a failure on imageUri`, () => {
            const r = validateInputs({ imageUri });
            assert.equal(r.failures?.length, 1, JSON.stringify(r.failures));
            assert.equal(r.failures?.[0].property, "imageUri");
            assert.match(r.failures?.[0].reason ?? "", why);
        });
    }
    it("unknown in a preview: what it stands for is unknown too, unless given on its own", () => {
        const got = expectValid({ imageUri: UNKNOWN, repositoryName: "web" }) as unknown as Record<string, unknown>;
        assert.equal(got.repositoryName, "web");
        for (const k of ["registryId", "region", "imageTag", "imageDigest"]) {
            assert.equal(got[k], UNKNOWN, k);
        }
    });
    it("without imageUri, repositoryName and a tag or digest are still required", () => {
        assert.deepEqual(validateInputs({ imageTag: "v1" }).failures?.map((f) => f.property), ["repositoryName"]);
        assert.match(validateInputs({ repositoryName: "web" }).failures?.[0].reason ?? "", /imageUri, imageDigest or imageTag/);
    });
});

describe("validateInputs: platforms", () => {
    it("os/arch and os/arch/variant are kept as given", () => {
        assert.deepEqual(expectValid(inputs({ platforms: ["linux/amd64", "linux/arm/v7", "windows/amd64"] })).platforms, ["linux/amd64", "linux/arm/v7", "windows/amd64"]);
    });
    const bad: [string, unknown, RegExp][] = [
        ["an empty list", [], /non-empty list/],
        ["not a list", "linux/amd64", /non-empty list/],
        ["arch alone", ["amd64"], /"amd64" is not a platform: write os\/arch/],
        ["a docker --platform with spaces", ["linux/amd64, linux/arm64"], /is not a platform/],
        ["a number", [64], /64 is not a platform/],
        ["the same platform twice", ["linux/arm64", "linux/arm64/v8"], /listed twice/],
    ];
    for (const [what, platforms, why] of bad) {
        it(`${what} is a failure on platforms`, () => {
            const r = validateInputs(inputs({ platforms }));
            assert.equal(r.failures?.length, 1, JSON.stringify(r.failures));
            assert.equal(r.failures?.[0].property, "platforms");
            assert.match(r.failures?.[0].reason ?? "", why);
        });
    }
    it("an unknown entry passes until it is known", () => {
        assert.deepEqual(expectValid(inputs({ platforms: ["linux/amd64", UNKNOWN] })).platforms, ["linux/amd64", UNKNOWN]);
    });
});

describe("validateInputs", () => {
    describe("rejects invalid values, naming the property and the value", () => {
        for (const c of INVALID) {
            it(c.name, () => expectInvalid(c));
        }
    });

    describe("accepts valid values", () => {
        const VALID: { name: string; news: Record<string, unknown>; expect: Record<string, unknown> }[] = [
            { name: "repositoryName team/web-app", news: inputs({ repositoryName: "team/web-app" }), expect: { repositoryName: "team/web-app" } },
            { name: "repositoryName 2 chars", news: inputs({ repositoryName: "ab" }), expect: { repositoryName: "ab" } },
            { name: "repositoryName 256 chars", news: inputs({ repositoryName: "a".repeat(256) }), expect: { repositoryName: "a".repeat(256) } },
            { name: "repositoryName with . _ - and nesting", news: inputs({ repositoryName: "org.x/team_a/web-app.v2" }), expect: { repositoryName: "org.x/team_a/web-app.v2" } },
            { name: "imageDigest", news: inputs({ imageDigest: DIGEST }), expect: { imageDigest: DIGEST } },
            { name: "imageTag alone", news: inputs({ imageDigest: OMIT, imageTag: "1.4.2" }), expect: { imageTag: "1.4.2" } },
            { name: "imageTag 300 chars", news: inputs({ imageDigest: OMIT, imageTag: "t".repeat(300) }), expect: { imageTag: "t".repeat(300) } },
            { name: "imageTag 1 char", news: inputs({ imageDigest: OMIT, imageTag: "x" }), expect: { imageTag: "x" } },
            { name: "imageDigest and imageTag", news: inputs({ imageTag: "latest" }), expect: { imageDigest: DIGEST, imageTag: "latest" } },
            { name: "registryId 12 digits", news: inputs({ registryId: "123456789012" }), expect: { registryId: "123456789012" } },
            { name: "region us-east-1", news: inputs({ region: "us-east-1" }), expect: { region: "us-east-1" } },
            { name: "region us-gov-west-1", news: inputs({ region: "us-gov-west-1" }), expect: { region: "us-gov-west-1" } },
            { name: "region ap-southeast-2", news: inputs({ region: "ap-southeast-2" }), expect: { region: "ap-southeast-2" } },
            { name: "endpoint http with port", news: inputs({ endpoint: "http://127.0.0.1:5000" }), expect: { endpoint: "http://127.0.0.1:5000" } },
            { name: "endpoint https", news: inputs({ endpoint: "https://ecr.example.com" }), expect: { endpoint: "https://ecr.example.com" } },
            { name: "profile", news: inputs({ profile: "dev" }), expect: { profile: "dev" } },
            { name: "waitForCompletion false", news: inputs({ waitForCompletion: false }), expect: { waitForCompletion: false } },
            { name: "waitForCompletion true", news: inputs({ waitForCompletion: true }), expect: { waitForCompletion: true } },
            { name: "timeoutSeconds 1", news: inputs({ timeoutSeconds: 1 }), expect: { timeoutSeconds: 1 } },
            { name: "timeoutSeconds 86400", news: inputs({ timeoutSeconds: 86400 }), expect: { timeoutSeconds: 86400 } },
            { name: "rescanAfterHours 24", news: inputs({ rescanAfterHours: 24 }), expect: { rescanAfterHours: 24 } },
            { name: "rescanAfterHours 24.5", news: inputs({ rescanAfterHours: 24.5 }), expect: { rescanAfterHours: 24.5 } },
            { name: "rescanAfterHours 168", news: inputs({ rescanAfterHours: 168 }), expect: { rescanAfterHours: 168 } },
            ...["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"].map((s) => ({
                name: `failOnSeverity ${s}`,
                news: inputs({ failOnSeverity: s }),
                expect: { failOnSeverity: s },
            })),
            {
                name: "ignoreFindings strings normalized to {name}",
                news: inputs({ ignoreFindings: ["CVE-2024-1234", "CVE-2023-0001"] }),
                expect: { ignoreFindings: [{ name: "CVE-2024-1234" }, { name: "CVE-2023-0001" }] },
            },
            {
                name: "ignoreFindings {name, until, reason}",
                news: inputs({ ignoreFindings: [{ name: "CVE-2024-1234", until: "2026-12-31", reason: "no fix upstream" }] }),
                expect: { ignoreFindings: [{ name: "CVE-2024-1234", until: "2026-12-31", reason: "no fix upstream" }] },
            },
            {
                name: "ignoreFindings until as date-time",
                news: inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T12:00:00Z" }, { name: "CVE-2", until: "2026-12-31T12:00:00+02:00" }] }),
                expect: { ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T12:00:00Z" }, { name: "CVE-2", until: "2026-12-31T12:00:00+02:00" }] },
            },
            {
                name: "ignoreFindings mixed forms",
                news: inputs({ ignoreFindings: ["CVE-1", { name: "CVE-2" }] }),
                expect: { ignoreFindings: [{ name: "CVE-1" }, { name: "CVE-2" }] },
            },
        ];
        for (const c of VALID) {
            it(c.name, () => {
                const result = expectValid(c.news);
                for (const [k, v] of Object.entries(c.expect)) {
                    assert.deepEqual((result as unknown as Record<string, unknown>)[k], v, `${c.name}: ${k}`);
                }
            });
        }
    });

    it("requires imageDigest or imageTag, naming them", () => {
        const result = validateInputs({ repositoryName: "web" });
        assert.equal(result.inputs, undefined);
        const failures = result.failures ?? [];
        assert.equal(failures.length, 1, JSON.stringify(failures));
        assert.ok(["imageDigest", "imageTag"].includes(failures[0].property), failures[0].property);
        assert.match(failures[0].reason, /imageDigest/);
        assert.match(failures[0].reason, /imageTag/);
    });

    it("reports every failure at once", () => {
        const result = validateInputs({ repositoryName: "Web", imageDigest: "sha256:x", timeoutSeconds: 0, bogus: 1 });
        assert.equal(result.inputs, undefined);
        assert.deepEqual((result.failures ?? []).map((f) => f.property).sort(), ["bogus", "imageDigest", "repositoryName", "timeoutSeconds"]);
    });

    it("accepts __provider (added by the dynamic provider host)", () => {
        const result = validateInputs(inputs({ __provider: "exports.handler = __f0;" }));
        assert.deepEqual(result.failures ?? [], []);
        assert.ok(result.inputs);
    });

    it("fills defaults, and leaves unset optional fields out", () => {
        const result = expectValid({ repositoryName: "web", imageTag: "latest" });
        assert.deepEqual(result, {
            repositoryName: "web",
            imageTag: "latest",
            waitForCompletion: true,
            timeoutSeconds: 1200,
            ignoreFindings: [],
        });
        assert.ok(!("rescanAfterHours" in result), "rescanAfterHours is unset by default");
        assert.ok(!("failOnSeverity" in result), "failOnSeverity is unset by default");
        for (const [k, v] of Object.entries(result)) {
            assert.notEqual(v, undefined, `${k} must be left out rather than undefined`);
        }
    });

    it("treats null as unset", () => {
        const result = expectValid(
            inputs({ timeoutSeconds: null, waitForCompletion: null, ignoreFindings: null, rescanAfterHours: null, failOnSeverity: null, region: null }),
        );
        assert.equal(result.timeoutSeconds, 1200);
        assert.equal(result.waitForCompletion, true);
        assert.deepEqual(result.ignoreFindings, []);
        assert.ok(!("rescanAfterHours" in result));
        assert.ok(!("region" in result));
    });

    it("passes unknown values (preview) through unchanged, for every field", () => {
        const fields = [
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
        ];
        const all = expectValid(Object.fromEntries(fields.map((f) => [f, UNKNOWN])));
        for (const f of fields) {
            assert.equal((all as unknown as Record<string, unknown>)[f], UNKNOWN, f);
        }
        for (const f of fields) {
            const one = expectValid(inputs({ [f]: UNKNOWN }));
            assert.equal((one as unknown as Record<string, unknown>)[f], UNKNOWN, f);
        }
    });

    it("an unknown value inside ignoreFindings passes check untouched, and no failure shows the sentinel", () => {
        const lists = [[UNKNOWN], [{ name: UNKNOWN }], [{ name: "CVE-1", until: UNKNOWN }], [{ name: "CVE-1", reason: UNKNOWN }], ["CVE-2", { name: "CVE-1", until: UNKNOWN }]];
        for (const list of lists) {
            const result = validateInputs(inputs({ ignoreFindings: list }));
            assert.deepEqual(result.failures ?? [], [], JSON.stringify(list));
            assert.deepEqual(result.inputs?.ignoreFindings, list.map((e) => (typeof e === "string" && e !== UNKNOWN ? { name: e } : e)));
        }
        // Beside a real mistake, the failure names the mistake and never the sentinel.
        const mixed = validateInputs(inputs({ ignoreFindings: [{ name: "CVE-1", until: UNKNOWN }, { name: "CVE-2", until: "2026-12-31T12:00" }] }));
        assert.equal(mixed.failures?.length, 1);
        assert.doesNotMatch(JSON.stringify(mixed.failures), new RegExp(UNKNOWN));
    });

    it("accepts until as a date, or a date-time with Z or an offset", () => {
        for (const until of ["2026-12-31", "2026-12-31T12:00Z", "2026-12-31T12:00:00Z", "2026-12-31T12:00:00.5+02:00", "2026-12-31T12:00:00-05:00"]) {
            assert.deepEqual(expectValid(inputs({ ignoreFindings: [{ name: "CVE-1", until }] })).ignoreFindings, [{ name: "CVE-1", until }], until);
        }
    });

    it("does not require a digest or tag when the only one given is unknown", () => {
        assert.equal(expectValid({ repositoryName: "web", imageTag: UNKNOWN }).imageTag, UNKNOWN);
        assert.equal(expectValid({ repositoryName: "web", imageDigest: UNKNOWN }).imageDigest, UNKNOWN);
    });

    it("never throws on garbage, and every failure names a property with a reason", () => {
        const circular: Record<string, unknown> = { a: 1 };
        circular.self = circular;
        const garbage: unknown[] = [
            null,
            undefined,
            0,
            -1,
            42,
            1.5,
            NaN,
            Infinity,
            -Infinity,
            true,
            false,
            "",
            " ",
            "x".repeat(10000),
            [],
            [null],
            [42],
            [[["deep"]]],
            [{}],
            [{ name: 42 }],
            [{ name: "x", until: {} }],
            [{ name: "x", reason: [] }],
            [{ name: null, until: null, reason: null }],
            {},
            { a: { b: { c: [1, 2, { d: null }] } } },
            { name: "CVE-1" },
            circular,
            BigInt(1),
            Symbol("s"),
            () => 1,
        ];
        const properties = [
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
            "__provider",
            "somethingElse",
        ];
        let failuresSeen = 0;
        for (const property of properties) {
            for (const value of garbage) {
                const label = `${property} = ${typeof value === "symbol" ? "Symbol" : String(value).slice(0, 30)}`;
                let result;
                try {
                    result = validateInputs(inputs({ [property]: value }));
                } catch (err) {
                    assert.fail(`validateInputs threw for ${label}: ${err}`);
                }
                assert.ok(result.inputs !== undefined || (result.failures ?? []).length > 0, `${label}: neither inputs nor failures`);
                for (const f of result.failures ?? []) {
                    failuresSeen++;
                    assert.equal(typeof f.property, "string", label);
                    assert.ok(f.property.length > 0, label);
                    assert.equal(typeof f.reason, "string", label);
                    assert.ok(f.reason.length > 0, label);
                    assert.ok(f.property === property || f.property.startsWith(`${property}[`), `${label}: failure names ${f.property}`);
                }
            }
        }
        assert.ok(failuresSeen > 100, `garbage should mostly fail; saw ${failuresSeen} failures`);
        // Whole objects of garbage, too.
        for (const news of [{}, { repositoryName: {}, imageDigest: [], imageTag: 5 }, { ignoreFindings: [circular] }]) {
            assert.doesNotThrow(() => validateInputs(news as Record<string, unknown>));
            assert.ok((validateInputs(news as Record<string, unknown>).failures ?? []).length > 0);
        }
    });
});

describe("validateInputs: the reasons a user reads", () => {
    /** The one failure for `news`, as {property, reason}. */
    function failure(news: Record<string, unknown>) {
        const failures = validateInputs(news).failures ?? [];
        assert.equal(failures.length, 1, JSON.stringify(failures));
        return failures[0];
    }

    it("a long value is shown cut at 80 characters; one of exactly 80 in full", () => {
        const long = "x".repeat(100);
        assert.ok(failure(inputs({ imageTag: long + " " })).reason.startsWith(`imageTag "${long.slice(0, 76)}... is invalid`));
        const eighty = "y".repeat(78); // 78 + the quotes = 80
        assert.ok(failure(inputs({ imageTag: eighty + " " })).reason.includes(`"${"y".repeat(76)}...`), "81 is cut");
        assert.ok(failure(inputs({ imageTag: "z".repeat(77) + " " })).reason.includes(`"${"z".repeat(77)} " is invalid`), "80 is shown whole");
    });

    it("the property is the top-level input; the reason names the exact field", () => {
        const f = failure(inputs({ ignoreFindings: ["CVE-1", { name: "CVE-2", until: "soon" }] }));
        assert.equal(f.property, "ignoreFindings");
        assert.match(f.reason, /^ignoreFindings\[1\]\.until "soon" is invalid: it must be an ISO-8601 date such as "2026-12-31" \(the whole day, UTC\)/);
        const key = failure(inputs({ ignoreFindings: [{ name: "CVE-2", "x.y": 1 }] }));
        assert.deepEqual([key.property, key.reason], ["ignoreFindings", 'ignoreFindings[0].x.y 1 is invalid: ignoreFindings[0] has no key "x.y"; the keys are name, until and reason.']);
    });

    it("an endpoint with credentials is masked up to the last @ of its authority, and names no property", () => {
        const cases: [string, string][] = [
            ["http://user:p@ss@host:5000/x@y", "http://***@host:5000/x@y"],
            ["https://token@host", "https://***@host"],
            ["http://:secret@host", "http://***@host"],
        ];
        for (const [endpoint, shown] of cases) {
            const f = failure(inputs({ endpoint }));
            assert.equal(f.property, "", endpoint);
            assert.equal(
                f.reason,
                `endpoint "${shown}" is invalid: it must not hold user:password (shown here as ***); give credentials through the AWS SDK chain or profile.`,
            );
        }
        // A bad endpoint without credentials keeps its property and shows its value.
        assert.deepEqual(failure(inputs({ endpoint: "ftp://host" })), { property: "endpoint", reason: 'endpoint "ftp://host" is invalid: the scheme must be http or https, not ftp.' });
        // Another field that looks like a URL with credentials is shown as given, under its name.
        assert.deepEqual(failure(inputs({ imageTag: "http://u:p@h" })).property, "imageTag");
        assert.match(failure(inputs({ imageTag: "http://u:p@h" })).reason, /^imageTag "http:\/\/u:p@h" is invalid/);
    });

    it("digests, regions and registries must match whole", () => {
        const cases: [string, unknown][] = [
            ["imageDigest", "x" + DIGEST],
            ["imageDigest", DIGEST + "0"],
            ["region", "xus-east-1"],
            ["region", "us-east-1x"],
            ["region", "us-east-123"],
            ["registryId", "x123456789012"],
        ];
        for (const [property, value] of cases) {
            assert.equal(failure(inputs({ [property]: value })).property, property, String(value));
        }
        assert.equal(expectValid(inputs({ region: "ap-southeast-10" })).region, "ap-southeast-10");
    });

    it("each rule's reason, word for word", () => {
        const cases: [Record<string, unknown>, string][] = [
            [{ imageDigest: "sha256:x" }, 'imageDigest "sha256:x" is invalid: it must be "sha256:" followed by 64 lowercase hex characters.'],
            [{ region: "mars" }, 'region "mars" is invalid: it must be an AWS region such as "us-east-1", or unset to use aws:region.'],
            [{ endpoint: "nope" }, 'endpoint "nope" is invalid: it must be an absolute http(s) URL, e.g. "http://127.0.0.1:5000".'],
            [{ failOnSeverity: "SEVERE" }, 'failOnSeverity "SEVERE" is invalid: it must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL. Leave it unset to never fail on findings.'],
            [{ ignoreFindings: [true] }, "ignoreFindings[0] true is invalid: an entry must be a finding name or {name, until?, reason?}."],
            [{ ignoreFindings: [null] }, "ignoreFindings[0] null is invalid: an entry must be a finding name or {name, until?, reason?}."],
            [{ ignoreFindings: [["CVE-1"]] }, 'ignoreFindings[0] ["CVE-1"] is invalid: an entry must be a finding name or {name, until?, reason?}.'],
            [{ ignoreFindings: [{ name: 5 }] }, 'ignoreFindings[0].name 5 is invalid: it must be a non-empty finding name, e.g. "CVE-2024-1234".'],
            [{ ignoreFindings: [{ name: "CVE-1", reason: 5 }] }, "ignoreFindings[0].reason 5 is invalid: it must be a string."],
            [{ repositoryName: 5 }, "repositoryName 5 is invalid: it must be a string, not a number."],
            [{ platforms: [] }, 'platforms [] is invalid: it must be a non-empty list of platforms such as ["linux/amd64", "linux/arm64"]; leave it unset to scan every platform image of an index.'],
        ];
        for (const [over, reason] of cases) {
            assert.equal(failure(inputs(over)).reason, reason);
        }
    });

    it("a zoneless date-time suggests the date alone, cut to the day", () => {
        const f = failure(inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-12-31T23:30:15" }] }));
        assert.match(f.reason, /write "2026-12-31T23:30:15Z" for UTC, or add an offset such as "\+01:00"\. A date alone \("2026-12-31"\) covers that whole day, UTC\.$/);
    });

    it("a date-time's day must be a real calendar day too; a valid one is kept as given", () => {
        assert.equal(failure(inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-02-30T10:00:00Z" }] })).property, "ignoreFindings");
        assert.deepEqual(expectValid(inputs({ ignoreFindings: [{ name: "CVE-1", until: "2026-02-28T23:00:00-05:00" }] })).ignoreFindings, [{ name: "CVE-1", until: "2026-02-28T23:00:00-05:00" }]);
    });

    it("a name given as a non-string is refused even if truthy", () => {
        assert.equal(failure(inputs({ ignoreFindings: [{ name: ["CVE-1"] }] })).reason, 'ignoreFindings[0].name ["CVE-1"] is invalid: it must be a non-empty finding name, e.g. "CVE-2024-1234".');
    });

    it("unknown values nested up to 8 levels deep are found; a cyclic object is not endless", () => {
        let nested: unknown = UNKNOWN;
        for (let i = 0; i < 8; i++) {
            nested = { v: nested };
        }
        assert.equal(containsUnknown(nested), true);
        assert.equal(containsUnknown({ v: nested }), false);
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        assert.equal(containsUnknown(cyclic), false);
    });
});

describe("check through the provider", () => {
    it("returns check's failures and inputs; an unexpected failure says so, with no stack", async () => {
        const provider = new ImageScanProvider();
        assert.deepEqual((await provider.check({} as ImageScanInputs, { repositoryName: "web", imageTag: "v1" } as ImageScanInputs)).inputs, {
            repositoryName: "web",
            imageTag: "v1",
            waitForCompletion: true,
            timeoutSeconds: 1200,
            ignoreFindings: [],
        });
        const hostile = Object.defineProperty({ repositoryName: "web", imageTag: "v1" }, "region", {
            enumerable: true,
            get() {
                throw new Error("boom");
            },
        });
        await assert.rejects(provider.check({} as ImageScanInputs, hostile as unknown as ImageScanInputs), (e: Error) => {
            assert.equal(e.name, "UnexpectedError");
            assert.match(e.message, /^ImageScan check failed: Error: boom\. This is unexpected/);
            assert.equal(e.stack, "");
            return true;
        });
    });
});
