// The bad-input table: every input of the spec's input table (SPEC.md, "Inputs"), with
// invalid values. Each must be a `check` failure that names the property and shows the
// value, and check must make no ECR call: a recording proxy in front of a real
// moto_server counts them. The last test runs one create through the same proxy, so
// the zero count is shown to be able to fail.

import { strict as assert } from "assert";
import { ImageScanInputs, ImageScanOutputs, ImageScanProvider } from "../../provider/index";
import { INPUTS } from "../../provider/validate";
import * as fx from "../support/ecr";
import { useLab } from "../support/lab";
import { Moto } from "../support/moto";
import { RecordingProxy } from "../support/proxy";

const DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
/** Marks a key to delete from the base inputs. */
const OMIT = Symbol("omit");

interface Row {
    /** What the row is about, for the test title. */
    what: string;
    /** Overrides of the valid base inputs (OMIT deletes a key). */
    set: Record<string, unknown>;
    /** failures[].property. Defaults to the single key of `set`. The engine prints the
     * top-level input's raw value beside it, so nested paths and an endpoint holding a
     * password are named in the reason instead (see `field`). */
    property?: string;
    /** The path the reason names, when it differs from `property`. */
    field?: string;
    /** Texts the reason must contain. Defaults to the value as shown (see `shown`). */
    inReason?: (string | RegExp)[];
    /** Texts the reason must not contain. */
    notInReason?: string[];
}

/** How a value is expected to appear in a reason: strings and objects as JSON, so that
 * the string "24" and the number 24 can be told apart; long strings by their start. */
function shown(value: unknown): string {
    if (typeof value === "number" || typeof value === "boolean") {
        return String(value);
    }
    const json = JSON.stringify(value);
    return json.length > 60 ? json.slice(0, 40) : json;
}

/** Wrong types for a string input: number, boolean, object. */
function wrongTypes(property: string): Row[] {
    return [42, true, { value: "x" }].map((value) => ({
        what: `${property} = ${JSON.stringify(value)} (${typeof value}, not a string)`,
        set: { [property]: value },
        inReason: [shown(value), /string/],
    }));
}

function row(property: string, value: unknown, what: string, extra: Partial<Row> = {}): Row {
    const text = JSON.stringify(value);
    return {
        what: `${property} = ${text.length > 50 ? text.slice(0, 40) + "…" : text}: ${what}`,
        set: { [property]: value },
        ...extra,
    };
}

const URI_HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

const ROWS: Row[] = [
    // imageUri: an ECR host, a repository, then :tag, @digest or :tag@digest.
    ...wrongTypes("imageUri"),
    row("imageUri", "docker.io/library/web:v1", "not an ECR registry host", { inReason: [shown("docker.io/library/web:v1"), /ECR registry host/] }),
    row("imageUri", `${URI_HOST}/bad-input-web`, "names no tag or digest", { inReason: [/names no image/] }),
    row("imageUri", `${URI_HOST}/bad-input-web@sha256:1234`, "a digest that is too short", { inReason: [/64 lowercase hex/] }),
    {
        what: "imageUri names another repository than repositoryName",
        set: { imageUri: `${URI_HOST}/other:v1` },
        property: "repositoryName",
        inReason: ['"bad-input-web"', /disagrees with imageUri/, '"other"'],
    },

    // platforms: a non-empty list of os/arch[/variant].
    row("platforms", "linux/amd64", "a string, not a list", { inReason: [/non-empty list/] }),
    row("platforms", [], "an empty list", { inReason: [/non-empty list/] }),
    row("platforms", ["amd64"], "arch without os", { inReason: ['"amd64"', /os\/arch/] }),
    row("platforms", ["linux/arm64", "linux/arm64/v8"], "one platform twice", { inReason: [/listed twice/] }),

    // repositoryName: 2–256 chars, ECR pattern.
    ...wrongTypes("repositoryName"),
    row("repositoryName", "", "empty"),
    row("repositoryName", "a", "1 char (minimum 2)"),
    row("repositoryName", "a".repeat(257), "257 chars (maximum 256)"),
    row("repositoryName", "Web", "uppercase is outside the ECR pattern"),
    row("repositoryName", "team//web", "empty path part"),
    row("repositoryName", "web app", "whitespace"),
    row("repositoryName", "-web", "leading separator"),
    {
        what: "repositoryName unset: required",
        set: { repositoryName: OMIT },
        property: "repositoryName",
        inReason: [/required/],
    },

    // imageDigest: sha256: + 64 lowercase hex.
    ...wrongTypes("imageDigest"),
    row("imageDigest", "", "empty"),
    row("imageDigest", "sha256:" + "ab".repeat(33), "66 hex chars (too long)"),
    row("imageDigest", "sha256:" + "ab".repeat(31), "62 hex chars (too short)"),
    row("imageDigest", "sha256:" + "AB".repeat(32), "uppercase hex"),
    row("imageDigest", "sha512:" + "ab".repeat(32), "another algorithm"),
    row("imageDigest", "ab".repeat(32), "no sha256: prefix"),

    // imageTag: 1–300 chars, no whitespace, ':' or '@'.
    ...wrongTypes("imageTag"),
    row("imageTag", "", "empty"),
    row("imageTag", "t".repeat(301), "301 chars (maximum 300)"),
    row("imageTag", "a b", "whitespace"),
    row("imageTag", "v1\t", "a tab"),
    row("imageTag", "web:v1", "a colon"),
    row("imageTag", "v1@" + DIGEST, "an @"),

    // registryId: 12 digits.
    ...wrongTypes("registryId"),
    row("registryId", "", "empty"),
    row("registryId", "1234567890123", "13 digits (too long)"),
    row("registryId", "12345678901", "11 digits"),
    row("registryId", "12345678901a", "a letter"),

    // region: xx-xxxx-N form. The contract sets no length; a long non-region is refused.
    ...wrongTypes("region"),
    row("region", "", "empty"),
    row("region", "us-east-1".repeat(30), "270 chars, not a region"),
    row("region", "US-EAST-1", "uppercase"),
    row("region", "us-east", "no number"),
    row("region", "useast1", "no dashes"),

    // endpoint: absolute http(s) URL, no userinfo. The contract sets no length.
    ...wrongTypes("endpoint"),
    row("endpoint", "", "empty"),
    row("endpoint", "127.0.0.1:5000", "not absolute"),
    row("endpoint", "/ecr", "a path only"),
    row("endpoint", "ftp://127.0.0.1:5000", "not http(s)"),
    row("endpoint", "http://user:pass@host", "user:password in the URL is refused and masked", {
        property: "",
        field: "endpoint",
        // "pass" alone is no test: the fix text says "user:password".
        inReason: ["***", "host"],
        notInReason: ["user:pass@", "pass@"],
    }),
    row("endpoint", "https://AKIAUSERINFO:s3cr3tpw@ecr.example.com/", "userinfo over https", {
        property: "",
        field: "endpoint",
        inReason: ["***", "ecr.example.com"],
        notInReason: ["s3cr3tpw", "AKIAUSERINFO"],
    }),

    // profile: a string, not empty. The contract sets no other rule and no length.
    ...wrongTypes("profile"),
    row("profile", "", "empty"),

    // waitForCompletion: boolean.
    row("waitForCompletion", "true", "a string, not a boolean"),
    row("waitForCompletion", 1, "a number, not a boolean"),
    row("waitForCompletion", { wait: true }, "an object"),

    // timeoutSeconds: integer 1–86400.
    row("timeoutSeconds", 0, "below 1"),
    row("timeoutSeconds", 86401, "above 86400"),
    row("timeoutSeconds", 1.5, "not a whole number"),
    row("timeoutSeconds", -60, "negative"),
    row("timeoutSeconds", "60", "a string"),
    row("timeoutSeconds", true, "a boolean"),
    row("timeoutSeconds", Number.NaN, "NaN", { inReason: ["NaN"] }),

    // rescanAfterHours: at least 24.
    row("rescanAfterHours", 23, "below the 24 h quota"),
    row("rescanAfterHours", 0, "zero"),
    row("rescanAfterHours", -1, "negative"),
    row("rescanAfterHours", "24", "a string"),
    row("rescanAfterHours", false, "a boolean"),

    // failOnSeverity: one of the five.
    row("failOnSeverity", "SEVERE", "not a severity"),
    row("failOnSeverity", "high", "lowercase"),
    row("failOnSeverity", "", "empty"),
    row("failOnSeverity", 3, "a number"),
    row("failOnSeverity", "UNDEFINED", "an ECR severity outside the five levels"),

    // ignoreFindings: names, or {name, until?, reason?}; until is an ISO-8601 date.
    row("ignoreFindings", "CVE-2026-0001", "a string, not a list"),
    row("ignoreFindings", { name: "CVE-2026-0001" }, "an object, not a list"),
    row("ignoreFindings", [42], "an entry that is a number", { property: "ignoreFindings", field: "ignoreFindings[0]", inReason: ["42"] }),
    row("ignoreFindings", [""], "an empty name", { property: "ignoreFindings", field: "ignoreFindings[0]", inReason: ["empty"] }),
    row("ignoreFindings", [{ reason: "no name" }], "an entry without name", { property: "ignoreFindings", field: "ignoreFindings[0].name", inReason: [/name/] }),
    ...["next week", "2026-02-30", "2026-13-01", "31/12/2026", 20261231].map((until) =>
        row("ignoreFindings", [{ name: "CVE-2026-0001", until }], `until ${JSON.stringify(until)}`, {
            property: "ignoreFindings", field: "ignoreFindings[0].until",
            inReason: [shown(until), /ISO-8601/],
        }),
    ),
    row("ignoreFindings", [{ name: "CVE-2026-0001", until: "2026-12-31T12:00" }], "until a date-time without a zone", {
        property: "ignoreFindings", field: "ignoreFindings[0].until",
        inReason: [shown("2026-12-31T12:00"), /needs a zone/, /2026-12-31T12:00Z/],
    }),
    row("ignoreFindings", ["CVE-2026-0001", { name: "CVE-2026-0002", until: "next week" }], "the second entry's until", {
        property: "ignoreFindings", field: "ignoreFindings[1].until",
        inReason: [shown("next week")],
    }),

    // Neither digest nor tag.
    {
        what: "neither imageDigest nor imageTag",
        set: { imageTag: OMIT, imageDigest: OMIT },
        property: "imageDigest",
        inReason: ["imageDigest", "imageTag"],
    },

    // An unknown property name: a misspelling.
    {
        what: "unknown property imageTagg (a misspelling)",
        set: { imageTagg: "v1" },
        inReason: ["imageTagg", '"v1"'],
    },
    {
        what: "unknown property scanOnPush",
        set: { scanOnPush: true },
        inReason: ["scanOnPush", "true"],
    },
];

/** Values at the edges of each rule, and combinations the contract allows. */
const ACCEPTED: { what: string; set: Record<string, unknown> }[] = [
    // SPEC.md: "At least one of imageDigest and imageTag is required. When both are
    // given, the digest picks the image and the tag is only recorded." The issue lists
    // "both digest and tag" as invalid; the spec is the contract, so both are accepted.
    { what: "both imageDigest and imageTag (the spec allows both)", set: { imageDigest: DIGEST, imageTag: "v1" } },
    { what: "imageDigest alone", set: { imageTag: OMIT, imageDigest: DIGEST } },
    { what: "repositoryName of 2 chars", set: { repositoryName: "ab" } },
    { what: "repositoryName of 256 chars", set: { repositoryName: "a".repeat(256) } },
    { what: "repositoryName with path parts", set: { repositoryName: "team/web.app_1-x" } },
    { what: "imageTag of 300 chars", set: { imageTag: "t".repeat(300) } },
    { what: "registryId of 12 digits", set: { registryId: "123456789012" } },
    { what: "region eu-central-1", set: { region: "eu-central-1" } },
    { what: "endpoint https with a path", set: { endpoint: "https://ecr.example.com/base" } },
    { what: "profile", set: { profile: "ci" } },
    { what: "waitForCompletion false", set: { waitForCompletion: false } },
    { what: "timeoutSeconds 1", set: { timeoutSeconds: 1 } },
    { what: "timeoutSeconds 86400", set: { timeoutSeconds: 86400 } },
    { what: "rescanAfterHours 24", set: { rescanAfterHours: 24 } },
    { what: "rescanAfterHours 24.5", set: { rescanAfterHours: 24.5 } },
    ...["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"].map((s) => ({ what: `failOnSeverity ${s}`, set: { failOnSeverity: s } })),
    {
        what: "ignoreFindings names and entries with date and date-time until",
        set: {
            ignoreFindings: [
                "CVE-2026-0001",
                { name: "CVE-2026-0002", until: "2026-12-31", reason: "not reachable" },
                { name: "CVE-2026-0003", until: "2026-12-31T12:00:00Z" },
                { name: "CVE-2026-0004", until: "2028-02-29" },
            ],
        },
    },
];

describe("check: the bad-input table, with zero ECR calls", function () {
    this.timeout(60_000);
    const lab = useLab();
    let moto: Moto;
    let proxy: RecordingProxy;
    let provider: ImageScanProvider;
    const savedEndpointEnv = process.env.AWS_ENDPOINT_URL_ECR;

    before(async () => {
        ({ moto, proxy } = lab());
        // Rows that replace `endpoint` would still reach the proxy through the SDK default.
        process.env.AWS_ENDPOINT_URL_ECR = proxy.url;
        provider = new ImageScanProvider({ sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))), log: () => undefined });
    });
    after(async () => {
        if (savedEndpointEnv === undefined) {
            delete process.env.AWS_ENDPOINT_URL_ECR;
        } else {
            process.env.AWS_ENDPOINT_URL_ECR = savedEndpointEnv;
        }
    });

    function inputs(set: Record<string, unknown>): Record<string, unknown> {
        const news: Record<string, unknown> = { repositoryName: "bad-input-web", imageTag: "v1", endpoint: proxy.url };
        for (const [k, v] of Object.entries(set)) {
            if (v === OMIT) {
                delete news[k];
            } else {
                news[k] = v;
            }
        }
        return news;
    }

    async function check(news: Record<string, unknown>) {
        return provider.check({} as ImageScanInputs, news as unknown as ImageScanInputs);
    }

    it("covers every input the provider takes", () => {
        // The provider's own list: an input added there and not here fails this test.
        assert.ok(INPUTS.length >= 12);
        const covered = new Set(ROWS.flatMap((r) => Object.keys(r.set)));
        assert.deepEqual(INPUTS.filter((p) => !covered.has(p)), []);
        for (const p of ["repositoryName", "imageDigest", "imageTag", "registryId", "region", "endpoint", "profile"]) {
            const types = ROWS.filter((r) => Object.keys(r.set).length === 1 && r.set[p] !== undefined && r.set[p] !== OMIT).map((r) => typeof r.set[p] as string);
            for (const t of ["number", "boolean", "object", "string"]) {
                assert.ok(types.includes(t), `${p}: no ${t} row`);
            }
        }
    });

    describe("invalid: a failure that names the property and shows the value", () => {
        for (const r of ROWS) {
            it(r.what, async () => {
                const keys = Object.keys(r.set);
                const property = r.property ?? keys[0];
                const value = r.set[keys[0]];
                const result = await check(inputs(r.set));
                assert.equal(result.inputs, undefined, "no inputs when check fails");
                const failures = result.failures ?? [];
                assert.equal(failures.length, 1, `one failure expected, got ${JSON.stringify(failures)}`);
                assert.equal(failures[0].property, property);
                const reason = failures[0].reason;
                for (const want of r.inReason ?? [shown(value)]) {
                    if (typeof want === "string") {
                        assert.ok(reason.includes(want), `reason ${JSON.stringify(reason)} lacks ${JSON.stringify(want)}`);
                    } else {
                        assert.match(reason, want);
                    }
                }
                // The reason names the field itself too, not only failures[].property.
                const field = r.field ?? property;
                assert.ok(reason.includes(field), `reason does not name ${field}`);
                for (const not of r.notInReason ?? []) {
                    assert.ok(!reason.includes(not), `reason ${JSON.stringify(reason)} shows ${JSON.stringify(not)}`);
                }
            });
        }
    });

    describe("an endpoint's user:password never shows in a check failure, whatever else is wrong", () => {
        // Any failure for endpoint must mask userinfo, not only the userinfo rule's own.
        const cases: [string, string][] = [
            ["a password holding @", "http://admin:hunter@2pw@ecr.example.com"],
            ["a non-http scheme with userinfo", "ftp://admin:ftpsecretpw@ecr.example.com"],
            ["userinfo and no host", "http://admin:nohostsecretpw@"],
        ];
        for (const [what, endpoint] of cases) {
            it(what, async () => {
                const password = endpoint.slice(endpoint.indexOf(":", 6) + 1, endpoint.lastIndexOf("@"));
                const result = await check(inputs({ endpoint }));
                const failures = result.failures ?? [];
                assert.equal(failures.length, 1, JSON.stringify(failures));
                assert.equal(failures[0].property, "", "no property, so the engine prints no raw value");
                assert.match(failures[0].reason, /^endpoint /);
                for (const part of [password, ...password.split("@")]) {
                    assert.ok(!failures[0].reason.includes(part), `the reason shows ${JSON.stringify(part)}: ${failures[0].reason}`);
                }
            });
        }
    });

    describe("accepted: edges of each rule", () => {
        for (const a of ACCEPTED) {
            it(a.what, async () => {
                const result = await check(inputs(a.set));
                assert.deepEqual(result.failures ?? [], []);
                assert.ok(result.inputs);
                if (typeof a.set.imageDigest === "string" && typeof a.set.imageTag === "string") {
                    assert.equal(result.inputs.imageDigest, a.set.imageDigest);
                    assert.equal(result.inputs.imageTag, a.set.imageTag);
                }
            });
        }
    });

    it("all the checks above made zero ECR calls; a create through the same proxy is counted", async () => {
        assert.deepEqual(proxy.calls.map((c) => c.operation), [], "check called ECR");

        // The proxy does see the provider's calls: one valid create goes through it.
        const repo = "bad-input-web";
        await fx.createRepository(moto.url, repo);
        const digest = await fx.pushImage(moto.url, repo, "v1", "bad-input-web-1");
        const checked = await check(inputs({}));
        assert.deepEqual(checked.failures ?? [], []);
        assert.equal(proxy.calls.length, 0);
        const created = await provider.create(checked.inputs as ImageScanInputs);
        assert.equal((created.outs as ImageScanOutputs).imageDigest, digest);
        assert.ok(proxy.count("DescribeImages") >= 1 && proxy.count("StartImageScan") === 1, JSON.stringify(proxy.calls.map((c) => c.operation)));
    });
});
