import { strict as assert } from "assert";
import { DiffContext, DiffPlan, planDiff } from "../provider/diff";
import { dropUndefined, ImageEntry, ImageScanInputs, ImageScanOutputs } from "../provider/types";
import { UNKNOWN } from "../provider/validate";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const STARTED = "2026-03-10T08:00:00.000Z";
const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const at = (offsetMs: number) => new Date(Date.parse(STARTED) + offsetMs);
/** Inside the window, settings unchanged: the ordinary re-run. */
const SOON = at(23 * HOUR + 59 * MIN);

/** The `images` entry of a plain image, from its outputs. */
function imageEntry(o: ImageScanOutputs): ImageEntry {
    const { imageDigest, scanStatus, scanStatusDescription, scanStartedAt, nextScanAllowedAt, scanCompletedAt, findingSeverityCounts, findingsTotal, adoptedExistingScan } = o;
    return dropUndefined({ imageDigest, scanStatus, scanStatusDescription, scanStartedAt, nextScanAllowedAt, scanCompletedAt, findingSeverityCounts, findingsTotal, adoptedExistingScan });
}

function olds(over: Partial<ImageScanOutputs> = {}): ImageScanOutputs {
    const o: Omit<ImageScanOutputs, "images"> & Partial<ImageScanOutputs> = {
        repositoryName: "web",
        registryId: "123456789012",
        region: "us-east-1",
        imageDigest: D1,
        waitForCompletion: true,
        timeoutSeconds: 1200,
        ignoreFindings: [],
        scanStatus: "COMPLETE",
        scanType: "BASIC",
        scanStartedAt: STARTED,
        nextScanAllowedAt: "2026-03-11T08:00:00.000Z",
        scanCompletedAt: "2026-03-10T08:01:00.000Z",
        findingSeverityCounts: {},
        findingsTotal: 0,
        topFindings: [],
        adoptedExistingScan: false,
        ignoredFindings: [],
        imageUri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@${D1}`,
        ...over,
    };
    // One image, as state records it since `images` exists; a test may give its own.
    return { ...o, images: o.images ?? [imageEntry({ ...o, images: [] })] };
}

/** New inputs as check returns them, matching olds() by default. */
function news(over: Partial<ImageScanInputs> = {}): ImageScanInputs {
    return {
        repositoryName: "web",
        imageDigest: D1,
        region: "us-east-1",
        waitForCompletion: true,
        timeoutSeconds: 1200,
        ignoreFindings: [],
        ...over,
    };
}

function plan(o: ImageScanOutputs, n: ImageScanInputs, ctx: Partial<DiffContext> = {}): DiffPlan {
    const p = planDiff(o, n, { now: SOON, ...ctx });
    assert.equal(typeof p.changes, "boolean", `changes must be a boolean: ${JSON.stringify(p)}`);
    assert.equal(typeof p.rescan, "boolean", `rescan must be a boolean: ${JSON.stringify(p)}`);
    assert.ok(Array.isArray(p.replaces));
    return p;
}

function assertNoChange(p: DiffPlan) {
    assert.deepEqual({ changes: p.changes, replaces: p.replaces, rescan: p.rescan }, { changes: false, replaces: [], rescan: false }, p.reasons.join("; "));
}

function assertUpdate(p: DiffPlan, rescan = false) {
    assert.deepEqual({ changes: p.changes, replaces: p.replaces, rescan: p.rescan }, { changes: true, replaces: [], rescan }, p.reasons.join("; "));
}

function assertReplace(p: DiffPlan, replaces: string[]) {
    assert.equal(p.changes, true);
    assert.deepEqual([...p.replaces].sort(), [...replaces].sort(), p.reasons.join("; "));
    assert.equal(p.rescan, false);
}

describe("planDiff", () => {
    describe("replace", () => {
        it("repositoryName changes", () => {
            assertReplace(plan(olds(), news({ repositoryName: "api" })), ["repositoryName"]);
        });
        it("registryId changes", () => {
            assertReplace(plan(olds(), news({ registryId: "210987654321" })), ["registryId"]);
        });
        it("unset registryId does not replace (olds hold the caller's registry as ECR reported it)", () => {
            assertNoChange(plan(olds(), news({ registryId: undefined })));
        });
        it("the same registryId, now explicit, does not replace", () => {
            assertNoChange(plan(olds(), news({ registryId: "123456789012" })));
        });
        it("region changes", () => {
            assertReplace(plan(olds(), news({ region: "eu-west-1" })), ["region"]);
        });
        it("unset region compares with the default region: different -> replace", () => {
            assertReplace(plan(olds(), news({ region: undefined }), { defaultRegion: "eu-west-1" }), ["region"]);
        });
        it("unset region compares with the default region: same -> no change", () => {
            assertNoChange(plan(olds(), news({ region: undefined }), { defaultRegion: "us-east-1" }));
        });
        it("unset region with an unknown default -> no change", () => {
            assertNoChange(plan(olds(), news({ region: undefined }), { defaultRegion: undefined }));
        });
        it("an explicit region wins over the default region", () => {
            assertNoChange(plan(olds(), news({ region: "us-east-1" }), { defaultRegion: "eu-west-1" }));
        });
        it("digest changes", () => {
            assertReplace(plan(olds(), news({ imageDigest: D2 })), ["imageDigest"]);
        });
        it("digest changes, even with the same tag", () => {
            assertReplace(plan(olds({ imageTag: "latest" }), news({ imageDigest: D2, imageTag: "latest" })), ["imageDigest"]);
        });
        it("tag-only: the tag moved to another digest", () => {
            const p = plan(olds({ imageTag: "latest" }), news({ imageDigest: undefined, imageTag: "latest" }), { resolvedDigest: D2 });
            assertReplace(p, ["imageDigest"]);
        });
        it("tag-only: the tag is gone", () => {
            const p = plan(olds({ imageTag: "latest" }), news({ imageDigest: undefined, imageTag: "latest" }), { resolvedDigest: null });
            assertReplace(p, ["imageDigest"]);
        });
        it("tag-only: the tag still resolves to the same digest -> no change", () => {
            assertNoChange(plan(olds({ imageTag: "latest" }), news({ imageDigest: undefined, imageTag: "latest" }), { resolvedDigest: D1 }));
        });
        it("tag-only: an unknown tag (preview) replaces", () => {
            assertReplace(plan(olds({ imageTag: "latest" }), news({ imageDigest: undefined, imageTag: UNKNOWN })), ["imageDigest"]);
        });
        it("several identity changes are all listed", () => {
            assertReplace(plan(olds(), news({ repositoryName: "api", region: "eu-west-1", imageDigest: D2 })), ["repositoryName", "region", "imageDigest"]);
        });
        it("a replace is not also a rescan, even when one is due", () => {
            const p = plan(olds({ rescanAfterHours: 24 }), news({ imageDigest: D2, rescanAfterHours: 24 }), { now: at(30 * HOUR) });
            assertReplace(p, ["imageDigest"]);
        });
    });

    describe("no change", () => {
        it("the same digest, nothing else changed", () => {
            assertNoChange(plan(olds(), news()));
        });
        it("re-run inside the window (23 h 59 m after the scan) never plans a scan", () => {
            assertNoChange(plan(olds(), news(), { now: at(23 * HOUR + 59 * MIN) }));
        });
        it("re-run long after the window, rescanAfterHours unset, plans nothing", () => {
            assertNoChange(plan(olds(), news(), { now: at(400 * HOUR) }));
        });
        it("an adopted scan re-run inside the window plans nothing", () => {
            assertNoChange(plan(olds({ adoptedExistingScan: true }), news(), { now: at(HOUR) }));
        });
        for (const status of ["COMPLETE", "FAILED", "UNSUPPORTED_IMAGE", "ACTIVE", "SCAN_ELIGIBILITY_EXPIRED", "FINDINGS_UNAVAILABLE", "LIMIT_EXCEEDED"]) {
            it(`olds.scanStatus ${status} (terminal) plans nothing`, () => {
                assertNoChange(plan(olds({ scanStatus: status }), news()));
            });
        }
        it("an ignore entry in the future with failOnSeverity set plans nothing", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-12" }];
            assertNoChange(plan(olds({ failOnSeverity: "HIGH", ignoreFindings: ignores }), news({ failOnSeverity: "HIGH", ignoreFindings: ignores })));
        });
    });

    describe("rescanAfterHours", () => {
        it("24 h, at 23 h 59 m -> no change", () => {
            assertNoChange(plan(olds({ rescanAfterHours: 24 }), news({ rescanAfterHours: 24 }), { now: at(23 * HOUR + 59 * MIN) }));
        });
        it("24 h, at 24 h 1 m -> update with rescan", () => {
            assertUpdate(plan(olds({ rescanAfterHours: 24 }), news({ rescanAfterHours: 24 }), { now: at(24 * HOUR + MIN) }), true);
        });
        it("48 h, at 24 h 1 m -> no change; at 48 h -> rescan", () => {
            assertNoChange(plan(olds({ rescanAfterHours: 48 }), news({ rescanAfterHours: 48 }), { now: at(24 * HOUR + MIN) }));
            assertUpdate(plan(olds({ rescanAfterHours: 48 }), news({ rescanAfterHours: 48 }), { now: at(48 * HOUR) }), true);
        });
        it("newly set and already due -> update with rescan", () => {
            assertUpdate(plan(olds(), news({ rescanAfterHours: 24 }), { now: at(30 * HOUR) }), true);
        });
        it("newly set, not yet due -> update without rescan (a setting changed)", () => {
            assertUpdate(plan(olds(), news({ rescanAfterHours: 24 }), { now: at(HOUR) }), false);
        });
    });

    describe("update without replace", () => {
        for (const status of ["IN_PROGRESS", "PENDING"]) {
            it(`olds.scanStatus ${status}: collect the result`, () => {
                assertUpdate(plan(olds({ scanStatus: status }), news(), { now: at(MIN) }));
            });
        }
        it("olds.scanStatus unknown to this version plans nothing (spec: only IN_PROGRESS and PENDING are collected)", () => {
            assertNoChange(plan(olds({ scanStatus: "SOMETHING_NEW" }), news()));
        });

        const settings: [string, Partial<ImageScanOutputs>, Partial<ImageScanInputs>][] = [
            ["failOnSeverity set", {}, { failOnSeverity: "HIGH" }],
            ["failOnSeverity changed", { failOnSeverity: "HIGH" }, { failOnSeverity: "CRITICAL" }],
            ["failOnSeverity unset", { failOnSeverity: "HIGH" }, {}],
            ["ignoreFindings added", {}, { ignoreFindings: [{ name: "CVE-1" }] }],
            ["ignoreFindings reason changed", { ignoreFindings: [{ name: "CVE-1", reason: "a" }] }, { ignoreFindings: [{ name: "CVE-1", reason: "b" }] }],
            ["ignoreFindings until extended", { ignoreFindings: [{ name: "CVE-1", until: "2026-04-01" }] }, { ignoreFindings: [{ name: "CVE-1", until: "2026-05-01" }] }],
            ["timeoutSeconds", {}, { timeoutSeconds: 600 }],
            ["waitForCompletion", {}, { waitForCompletion: false }],
            ["imageTag with a digest pinned", { imageTag: "1.0" }, { imageTag: "1.1" }],
            ["imageTag added with a digest pinned", {}, { imageTag: "1.0" }],
            ["endpoint", {}, { endpoint: "http://127.0.0.1:5000" }],
            ["profile", { profile: "dev" }, { profile: "prod" }],
            ["rescanAfterHours changed", { rescanAfterHours: 48 }, { rescanAfterHours: 72 }],
            ["platforms set", {}, { platforms: ["linux/amd64"] }],
            ["platforms changed", { platforms: ["linux/amd64"] }, { platforms: ["linux/amd64", "linux/arm64"] }],
        ];
        for (const [name, o, n] of settings) {
            it(name, () => {
                assertUpdate(plan(olds(o), news(n)));
            });
        }

        it("an expired ignore of a finding the gate left out -> update (the gate must see it again)", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }];
            const ignoredFindings = [{ name: "CVE-1", severity: "HIGH", until: "2026-03-10T12:00:00Z" }];
            const p = plan(olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, ignoredFindings }), news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) });
            assertUpdate(p);
            assert.ok(p.reasons.some((r) => r.includes("CVE-1")), p.reasons.join("; "));
        });
        it("an expired ignore of a finding that is gone or below the threshold -> no change (no update forever)", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }];
            assertNoChange(plan(olds({ failOnSeverity: "HIGH", ignoreFindings: ignores }), news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) }));
            // Below the threshold it is in topFindings, but the gate never left it out.
            const low = [{ name: "CVE-1", severity: "LOW" }];
            assertNoChange(plan(olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, topFindings: low }), news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) }));
        });
        it("the 30th of 30 ignored HIGH findings expiring -> update, though topFindings holds only 25", () => {
            const names = Array.from({ length: 30 }, (_, i) => `CVE-2026-${String(i).padStart(4, "0")}`);
            const ignores = names.map((name, i) => ({ name, until: i === 29 ? "2026-03-10T12:00:00Z" : "2027-01-01" }));
            const o = olds({
                failOnSeverity: "HIGH",
                ignoreFindings: ignores,
                findingSeverityCounts: { HIGH: 30 },
                findingsTotal: 30,
                topFindings: names.slice(0, 25).map((name) => ({ name, severity: "HIGH" })),
                ignoredFindings: ignores.map((e) => ({ ...e, severity: "HIGH" })),
            });
            const n = news({ failOnSeverity: "HIGH", ignoreFindings: ignores });
            assertNoChange(plan(o, n, { now: at(3 * HOUR) }));
            const p = plan(o, n, { now: at(5 * HOUR) });
            assertUpdate(p);
            assert.ok(p.reasons.some((r) => r.includes(names[29])), p.reasons.join("; "));
        });
        it("state written before ignoredFindings existed falls back to the top findings at the threshold", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }];
            const o = olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, topFindings: [{ name: "CVE-1", severity: "HIGH" }] });
            delete (o as Partial<ImageScanOutputs>).ignoredFindings;
            assertUpdate(plan(o, news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) }));
        });
        it("a date-only until covers that whole day", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-10" }];
            const ignoredFindings = [{ name: "CVE-1", severity: "CRITICAL", until: "2026-03-10" }];
            const o = olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, ignoredFindings });
            const n = news({ failOnSeverity: "HIGH", ignoreFindings: ignores });
            assertNoChange(plan(o, n, { now: new Date("2026-03-10T23:59:00Z") }));
            assertUpdate(plan(o, n, { now: new Date("2026-03-11T00:00:00Z") }));
        });
        it("a by-value provider in state (written before ImageScan was a package) -> update, no rescan", () => {
            assertUpdate(plan(olds(), news(), { providerOutdated: true }));
        });
        it("an expired ignore without failOnSeverity -> no change", () => {
            const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }];
            assertNoChange(plan(olds({ ignoreFindings: ignores }), news({ ignoreFindings: ignores }), { now: at(5 * HOUR) }));
        });
    });

    it("changes is always an explicit boolean", () => {
        const cases: [ImageScanOutputs, ImageScanInputs, Partial<DiffContext>][] = [
            [olds(), news(), {}],
            [olds(), news({ imageDigest: D2 }), {}],
            [olds({ scanStatus: "IN_PROGRESS" }), news(), {}],
            [olds({ rescanAfterHours: 24 }), news({ rescanAfterHours: 24 }), { now: at(25 * HOUR) }],
            [olds(), news({ imageDigest: undefined, imageTag: "x" }), { resolvedDigest: undefined }],
            [olds(), news({ region: undefined }), {}],
        ];
        const seen = new Set<boolean>();
        for (const [o, n, c] of cases) {
            const p = plan(o, n, c);
            assert.ok(p.changes === true || p.changes === false, JSON.stringify(p));
            seen.add(p.changes);
        }
        assert.deepEqual([...seen].sort(), [false, true]);
    });
});

describe("planDiff: the reasons a plan gives (logged when a scan is planned)", () => {
    const cases: [string, ImageScanOutputs, ImageScanInputs, Partial<DiffContext>, string[]][] = [
        ["repositoryName", olds(), news({ repositoryName: "api" }), {}, ["repositoryName web -> api"]],
        ["registryId", olds(), news({ registryId: "111111111111" }), {}, ["registryId 123456789012 -> 111111111111"]],
        ["region", olds(), news({ region: "eu-west-1" }), {}, ["region us-east-1 -> eu-west-1"]],
        ["default region", olds(), news({ region: undefined }), { defaultRegion: "eu-west-1" }, ["region us-east-1 -> eu-west-1"]],
        ["digest", olds(), news({ imageDigest: D2 }), {}, [`imageDigest ${D1} -> ${D2}`]],
        ["a moved tag", olds(), news({ imageDigest: undefined, imageTag: "v1" }), { resolvedDigest: D2 }, [`tag v1 moved to ${D2}`]],
        ["a vanished tag", olds(), news({ imageDigest: undefined, imageTag: "v1" }), { resolvedDigest: null }, ["tag v1 no longer exists"]],
        ["unknown repositoryName", olds(), news({ repositoryName: UNKNOWN }), {}, ["repositoryName is not known until apply"]],
        ["unknown registryId", olds(), news({ registryId: UNKNOWN }), {}, ["registryId is not known until apply"]],
        ["unknown region", olds(), news({ region: UNKNOWN }), {}, ["region is not known until apply"]],
        ["unknown digest", olds(), news({ imageDigest: UNKNOWN }), {}, ["imageDigest is not known until apply"]],
        ["unknown tag", olds(), news({ imageDigest: undefined, imageTag: UNKNOWN }), {}, ["imageTag is not known until apply"]],
        ["all of the identity at once", olds(), news({ repositoryName: "api", registryId: "111111111111", region: "eu-west-1", imageDigest: D2 }), {}, [
            "repositoryName web -> api",
            "registryId 123456789012 -> 111111111111",
            "region us-east-1 -> eu-west-1",
            `imageDigest ${D1} -> ${D2}`,
        ]],
        ["settings", olds(), news({ timeoutSeconds: 60, profile: UNKNOWN }), {}, ["profile is not known until apply", "timeoutSeconds changed"]],
        ["a due rescan, with a setting changed", olds({ rescanAfterHours: 48 }), news({ rescanAfterHours: 24 }), { now: at(24 * HOUR) }, ["rescanAfterHours changed", `rescan due: 24 h since ${STARTED}`]],
        ["a by-value provider", olds(), news(), { providerOutdated: true }, ["state holds a by-value copy of an older ImageScan provider: rewrite it (no scan)"]],
        ["a scan to collect", olds({ scanStatus: "PENDING" }), news(), {}, ["scan was PENDING: collect the result"]],
        [
            "an index's platform image to collect, though the first is done",
            olds({ images: [{ ...olds().images[0], platform: "linux/amd64" }, { ...olds().images[0], platform: "linux/arm64", scanStatus: "IN_PROGRESS" }] }),
            news(),
            {},
            ["scan was IN_PROGRESS: collect the result"],
        ],
        [
            "ImageScan 0.1 state of an UNSUPPORTED_IMAGE (an index it could not scan)",
            (() => {
                const o = olds({ scanStatus: "UNSUPPORTED_IMAGE" });
                delete (o as Partial<ImageScanOutputs>).images;
                return o;
            })(),
            news(),
            {},
            ["recorded UNSUPPORTED_IMAGE before image indexes were scanned: look again"],
        ],
        ["an UNSUPPORTED_IMAGE recorded with images", olds({ scanStatus: "UNSUPPORTED_IMAGE" }), news(), {}, []],
        ["a platform dropped", olds({ platforms: ["linux/amd64", "linux/s390x"] }), news({ platforms: ["linux/amd64"] }), {}, ["platforms changed"]],
        ["a platform added", olds({ platforms: ["linux/amd64"] }), news({ platforms: ["linux/amd64", "linux/s390x"] }), {}, ["platforms changed"]],
        ["platforms the same, reordered and spelled otherwise", olds({ platforms: ["linux/arm64", "linux/amd64"] }), news({ platforms: ["linux/amd64", "linux/arm64/v8"] }), {}, []],
    ];
    for (const [what, o, n, c, reasons] of cases) {
        it(what, () => assert.deepEqual(plan(o, n, c).reasons, reasons));
    }

    it("an unknown identity is replaced under its own name", () => {
        for (const key of ["repositoryName", "registryId", "region"] as const) {
            assertReplace(plan(olds(), news({ [key]: UNKNOWN })), [key]);
        }
    });

    it("state written before `images` existed: a running scan is collected, a finished one plans nothing", () => {
        const legacy = (over: Partial<ImageScanOutputs>) => {
            const o = olds(over);
            delete (o as Partial<ImageScanOutputs>).images;
            return o;
        };
        assert.deepEqual(plan(legacy({ scanStatus: "IN_PROGRESS" }), news()).reasons, ["scan was IN_PROGRESS: collect the result"]);
        assertNoChange(plan(legacy({}), news()));
    });

    it("a tag-only input that was not looked up (no client could be built) plans nothing for the digest", () => {
        assertNoChange(plan(olds({ imageTag: "v1" }), news({ imageDigest: undefined, imageTag: "v1" }), { resolvedDigest: undefined }));
    });

    it("rescan due for the earliest of several images, named in the reason", () => {
        const image = (scanStartedAt: string, platform: string) => ({ ...olds().images[0], platform, scanStartedAt });
        const o = olds({ rescanAfterHours: 24, images: [image("2026-03-10T09:00:00.000Z", "linux/arm64"), image(STARTED, "linux/amd64"), image("2026-03-12T08:00:00.000Z", "linux/arm/v7")] });
        const p = plan(o, news({ rescanAfterHours: 24 }), { now: at(26 * HOUR) });
        assertUpdate(p, true);
        assert.deepEqual(p.reasons, [`rescan due: 24 h since ${STARTED}`]);
    });

    it("an image with no recorded start is never due; state before `images` uses the outputs' start", () => {
        const noStart = olds({ rescanAfterHours: 24, images: [{ ...olds().images[0], scanStartedAt: undefined as never }] });
        assertNoChange(plan(noStart, news({ rescanAfterHours: 24 }), { now: at(48 * HOUR) }));
        const legacy = olds({ rescanAfterHours: 24 });
        delete (legacy as Partial<ImageScanOutputs>).images;
        assertUpdate(plan(legacy, news({ rescanAfterHours: 24 }), { now: at(24 * HOUR) }), true);
    });

    it("an unknown rescanAfterHours is a change, never a rescan", () => {
        const p = plan(olds({ rescanAfterHours: 24 }), news({ rescanAfterHours: UNKNOWN as never }), { now: at(48 * HOUR) });
        assertUpdate(p, false);
    });

    it("expired ignores are listed by name, comma-separated", () => {
        const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }, { name: "CVE-2", until: "2026-03-10T12:00:00Z" }];
        const ignoredFindings = ignores.map((e) => ({ ...e, severity: "HIGH" }));
        const p = plan(olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, ignoredFindings }), news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) });
        assert.deepEqual(p.reasons, ["ignore expired: CVE-1, CVE-2"]);
    });

    it("state before ignoredFindings: only top findings at or above the threshold count", () => {
        const ignores = [{ name: "CVE-M", until: "2026-03-10T12:00:00Z" }, { name: "CVE-C", until: "2026-03-10T12:00:00Z" }];
        const o = olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, topFindings: [{ name: "CVE-C", severity: "CRITICAL" }, { name: "CVE-M", severity: "MEDIUM" }] });
        delete (o as Partial<ImageScanOutputs>).ignoredFindings;
        assert.deepEqual(plan(o, news({ failOnSeverity: "HIGH", ignoreFindings: ignores }), { now: at(5 * HOUR) }).reasons, ["ignore expired: CVE-C"]);
    });

    it("with failOnSeverity or ignoreFindings unknown, expiry is not judged (the setting change is)", () => {
        const ignores = [{ name: "CVE-1", until: "2026-03-10T12:00:00Z" }];
        const o = olds({ failOnSeverity: "HIGH", ignoreFindings: ignores, ignoredFindings: [{ name: "CVE-1", severity: "HIGH" }] });
        assert.deepEqual(plan(o, news({ failOnSeverity: UNKNOWN as never, ignoreFindings: ignores }), { now: at(5 * HOUR) }).reasons, ["failOnSeverity is not known until apply"]);
        assert.deepEqual(plan(o, news({ failOnSeverity: "HIGH", ignoreFindings: UNKNOWN as never }), { now: at(5 * HOUR) }).reasons, ["ignoreFindings is not known until apply"]);
    });
});
