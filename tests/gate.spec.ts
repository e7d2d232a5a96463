import { strict as assert } from "assert";
import { evaluateGate, isCompletedScan, severityRank } from "../provider/gate";
import { ImageRef } from "../provider/image";
import { FindingSummary, IgnoreEntry, ScanResult } from "../provider/types";

const DIGEST = "sha256:" + "1a2b3c4d".repeat(8);
const IMAGE: ImageRef = { repositoryName: "team/web", registryId: "123456789012", region: "eu-west-1", imageDigest: DIGEST };
const NOW = new Date("2026-06-15T12:00:00.000Z");

type Result = Pick<ScanResult, "scanStatus" | "findings" | "findingSeverityCounts">;

function f(name: string, severity: string): FindingSummary {
    return { name, severity, packageName: "openssl", packageVersion: "3.0.1" };
}

/** A COMPLETE result whose counts match its findings. */
function result(findings: FindingSummary[], status = "COMPLETE"): Result {
    const counts: Record<string, number> = {};
    for (const x of findings) {
        counts[x.severity] = (counts[x.severity] ?? 0) + 1;
    }
    return { scanStatus: status, findings, findingSeverityCounts: counts };
}

const MIXED = result([
    f("CVE-2024-0003", "MEDIUM"),
    f("CVE-2024-0002", "HIGH"),
    f("CVE-2024-0001", "CRITICAL"),
    f("CVE-2024-0004", "LOW"),
    f("CVE-2024-0005", "INFORMATIONAL"),
]);

describe("gate", () => {
    describe("severityRank", () => {
        it("orders CRITICAL > HIGH > MEDIUM > LOW > INFORMATIONAL > anything else", () => {
            const order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"];
            for (let i = 0; i + 1 < order.length; i++) {
                assert.ok(severityRank(order[i]) > severityRank(order[i + 1]), `${order[i]} > ${order[i + 1]}`);
            }
            assert.equal(severityRank("UNDEFINED"), 0);
            assert.equal(severityRank("UNTRIAGED"), 0);
            assert.equal(severityRank("critical"), 0);
            assert.equal(severityRank("INFORMATIONAL"), 1);
        });
    });

    describe("isCompletedScan", () => {
        for (const [s, v] of [["COMPLETE", true], ["ACTIVE", true], ["FAILED", false], ["IN_PROGRESS", false], ["UNSUPPORTED_IMAGE", false], ["PENDING", false]] as const) {
            it(`${s} -> ${v}`, () => assert.equal(isCompletedScan(s), v));
        }
    });

    describe("evaluateGate", () => {
        it("passes when failOnSeverity is unset, whatever the findings or status", () => {
            for (const r of [MIXED, result([f("CVE-1", "CRITICAL")], "FAILED"), result([], "UNSUPPORTED_IMAGE")]) {
                const v = evaluateGate(IMAGE, r, undefined, [], NOW);
                assert.equal(v.passed, true);
                assert.equal(v.message, undefined);
                assert.equal(v.blockingTotal, 0);
            }
        });

        it("HIGH with CRITICAL+HIGH+MEDIUM fails, counting only CRITICAL and HIGH", () => {
            const v = evaluateGate(IMAGE, MIXED, "HIGH", [], NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { CRITICAL: 1, HIGH: 1 });
            assert.equal(v.blockingTotal, 2);
            assert.deepEqual(v.blockingNames, ["CVE-2024-0001", "CVE-2024-0002"]);
            const m = v.message!;
            assert.equal(typeof m, "string");
            assert.ok(m.includes("team/web"), m);
            assert.ok(m.includes("eu-west-1"), m);
            assert.ok(m.includes("CRITICAL: 1"), m);
            assert.ok(m.includes("HIGH: 1"), m);
            assert.ok(!m.includes("MEDIUM: "), m);
            assert.ok(!m.includes("CVE-2024-0003"), m);
            assert.ok(m.includes("ignoreFindings"), m);
            // Most severe first in the message too.
            assert.ok(m.indexOf("CVE-2024-0001") < m.indexOf("CVE-2024-0002"), m);
        });

        it("lists names most severe first, then by name", () => {
            const r = result([f("B-HIGH", "HIGH"), f("Z-CRIT", "CRITICAL"), f("A-HIGH", "HIGH"), f("A-CRIT", "CRITICAL"), f("A-MED", "MEDIUM")]);
            const v = evaluateGate(IMAGE, r, "MEDIUM", [], NOW);
            assert.deepEqual(v.blockingNames, ["A-CRIT", "Z-CRIT", "A-HIGH", "B-HIGH", "A-MED"]);
            assert.deepEqual(v.blockingCounts, { CRITICAL: 2, HIGH: 2, MEDIUM: 1 });
        });

        it("puts at most 10 names in the message, then 'and N more'", () => {
            const names = Array.from({ length: 15 }, (_, i) => `CVE-2024-${String(i).padStart(4, "0")}`);
            const v = evaluateGate(IMAGE, result(names.map((n) => f(n, "HIGH"))), "HIGH", [], NOW);
            assert.equal(v.passed, false);
            assert.equal(v.blockingTotal, 15);
            assert.equal(v.blockingNames.length, 15);
            const m = v.message!;
            for (const n of names.slice(0, 10)) {
                assert.ok(m.includes(n), `${n} in ${m}`);
            }
            for (const n of names.slice(10)) {
                assert.ok(!m.includes(n), `${n} must not be in ${m}`);
            }
            assert.match(m, /and 5 more/);
            assert.ok(m.includes("HIGH: 15"), m);
        });

        it("'and N more' counts what ECR counted but did not list", () => {
            const names = Array.from({ length: 12 }, (_, i) => `CVE-${String(i).padStart(2, "0")}`);
            const r = { ...result(names.map((n) => f(n, "HIGH"))), findingSeverityCounts: { HIGH: 20 } };
            const v = evaluateGate(IMAGE, r, "HIGH", [], NOW);
            assert.equal(v.blockingTotal, 20);
            assert.match(v.message!, /and 10 more/);
        });

        it("a date-only until covers that whole day (UTC), then warns", () => {
            const ignores: IgnoreEntry[] = [{ name: "CVE-2024-0001", until: "2026-06-15" }, { name: "CVE-2024-0002" }];
            const during = evaluateGate(IMAGE, MIXED, "HIGH", ignores, new Date("2026-06-15T23:59:59Z"));
            assert.equal(during.passed, true);
            assert.deepEqual(during.warnings, []);
            const after = evaluateGate(IMAGE, MIXED, "HIGH", ignores, new Date("2026-06-16T00:00:00Z"));
            assert.equal(after.passed, false);
            assert.equal(after.warnings.length, 1);
            assert.match(after.warnings[0], /CVE-2024-0001.*expired at 2026-06-15/);
        });

        it("with exactly 10 names there is no 'more'", () => {
            const names = Array.from({ length: 10 }, (_, i) => `CVE-${i}`);
            const v = evaluateGate(IMAGE, result(names.map((n) => f(n, "CRITICAL"))), "CRITICAL", [], NOW);
            assert.doesNotMatch(v.message!, /more/);
        });

        it("passes when every blocking finding is ignored", () => {
            const ignores: IgnoreEntry[] = [{ name: "CVE-2024-0001" }, { name: "CVE-2024-0002", until: "2026-12-31", reason: "no fix" }];
            const v = evaluateGate(IMAGE, MIXED, "HIGH", ignores, NOW);
            assert.equal(v.passed, true);
            assert.equal(v.blockingTotal, 0);
            assert.deepEqual(v.blockingNames, []);
            assert.equal(v.message, undefined);
            assert.deepEqual(v.warnings, []);
        });

        it("ignoring some leaves the rest blocking", () => {
            const v = evaluateGate(IMAGE, MIXED, "HIGH", [{ name: "CVE-2024-0001" }], NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { HIGH: 1 });
            assert.deepEqual(v.blockingNames, ["CVE-2024-0002"]);
        });

        it("an ignore whose until has passed counts again, with a warning naming it", () => {
            const ignores: IgnoreEntry[] = [
                { name: "CVE-2024-0001", until: "2026-06-14" },
                { name: "CVE-2024-0002", until: "2026-06-16T00:00:00Z" },
            ];
            const v = evaluateGate(IMAGE, MIXED, "HIGH", ignores, NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { CRITICAL: 1 });
            assert.deepEqual(v.blockingNames, ["CVE-2024-0001"]);
            assert.equal(v.warnings.length, 1);
            assert.ok(v.warnings[0].includes("CVE-2024-0001"), v.warnings[0]);
            assert.ok(v.warnings[0].includes("2026-06-14"), v.warnings[0]);
            assert.ok(!v.warnings[0].includes("CVE-2024-0002"), v.warnings[0]);
        });

        it("warns about an expired ignore even when failOnSeverity is unset", () => {
            const v = evaluateGate(IMAGE, MIXED, undefined, [{ name: "CVE-2024-0001", until: "2020-01-01" }], NOW);
            assert.equal(v.passed, true);
            assert.equal(v.warnings.length, 1);
            assert.ok(v.warnings[0].includes("CVE-2024-0001"));
        });

        it("an ignore one minute in the future still counts as ignored", () => {
            const v = evaluateGate(IMAGE, MIXED, "CRITICAL", [{ name: "CVE-2024-0001", until: "2026-06-15T12:01:00Z" }], NOW);
            assert.equal(v.passed, true);
            assert.deepEqual(v.warnings, []);
        });

        for (const status of ["FAILED", "UNSUPPORTED_IMAGE", "IN_PROGRESS", "PENDING", "SCAN_ELIGIBILITY_EXPIRED", "FINDINGS_UNAVAILABLE", "SOMETHING_NEW"]) {
            it(`status ${status} fails when failOnSeverity is set, naming the status`, () => {
                const v = evaluateGate(IMAGE, result([], status), "CRITICAL", [], NOW);
                assert.equal(v.passed, false);
                assert.ok(v.message!.includes(status), v.message);
                assert.ok(v.message!.includes("team/web"), v.message);
                assert.ok(v.message!.includes("eu-west-1"), v.message);
            });
        }

        for (const status of ["COMPLETE", "ACTIVE"]) {
            it(`status ${status} with no findings passes`, () => {
                const v = evaluateGate(IMAGE, result([], status), "INFORMATIONAL", [], NOW);
                assert.equal(v.passed, true);
                assert.equal(v.message, undefined);
            });
            it(`status ${status} with a finding at the threshold fails`, () => {
                const v = evaluateGate(IMAGE, result([f("CVE-9", "LOW")], status), "LOW", [], NOW);
                assert.equal(v.passed, false);
                assert.deepEqual(v.blockingCounts, { LOW: 1 });
            });
        }

        it("findings only below the threshold pass", () => {
            const r = result([f("CVE-1", "MEDIUM"), f("CVE-2", "LOW"), f("CVE-3", "INFORMATIONAL"), f("CVE-4", "UNDEFINED")]);
            const v = evaluateGate(IMAGE, r, "HIGH", [], NOW);
            assert.equal(v.passed, true);
            assert.deepEqual(v.blockingCounts, {});
        });

        it("counts larger than the listed findings still block", () => {
            // ECR reports 3 HIGH but listed only one; ignoring that one leaves 2.
            const r: Result = { scanStatus: "COMPLETE", findings: [f("CVE-2024-0002", "HIGH")], findingSeverityCounts: { HIGH: 3, MEDIUM: 7 } };
            const v = evaluateGate(IMAGE, r, "HIGH", [{ name: "CVE-2024-0002" }], NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { HIGH: 2 });
            assert.equal(v.blockingTotal, 2);
            assert.ok(v.message!.includes("HIGH: 2"), v.message);
        });

        it("counts with no listed findings at all still block", () => {
            const r: Result = { scanStatus: "COMPLETE", findings: [], findingSeverityCounts: { CRITICAL: 4 } };
            const v = evaluateGate(IMAGE, r, "HIGH", [], NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { CRITICAL: 4 });
            assert.ok(v.message!.includes("CRITICAL: 4"), v.message);
            assert.ok(v.message!.includes("ignoreFindings"), v.message);
        });

        it("INFORMATIONAL blocks on every ranked severity", () => {
            const v = evaluateGate(IMAGE, MIXED, "INFORMATIONAL", [], NOW);
            assert.equal(v.passed, false);
            assert.deepEqual(v.blockingCounts, { CRITICAL: 1, HIGH: 1, MEDIUM: 1, LOW: 1, INFORMATIONAL: 1 });
            assert.deepEqual(v.blockingNames, ["CVE-2024-0001", "CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0004", "CVE-2024-0005"]);
            const only = evaluateGate(IMAGE, result([f("CVE-I", "INFORMATIONAL")]), "INFORMATIONAL", [], NOW);
            assert.equal(only.passed, false);
            assert.deepEqual(only.blockingCounts, { INFORMATIONAL: 1 });
        });

        it("lists what it left out as ignoredFindings: every one, with until and reason, most severe first", () => {
            const ignores: IgnoreEntry[] = [
                { name: "CVE-2024-0002", until: "2026-12-31", reason: "no fix" },
                { name: "CVE-2024-0001" },
                { name: "CVE-2024-0004", reason: "below the threshold: not listed" },
                { name: "CVE-2024-0009", reason: "not found at all: not listed" },
                { name: "CVE-2024-0003", until: "2026-01-01", reason: "expired: counts again, not listed" },
            ];
            const v = evaluateGate(IMAGE, MIXED, "MEDIUM", ignores, NOW);
            assert.deepEqual(v.ignored, [
                { name: "CVE-2024-0001", severity: "CRITICAL" },
                { name: "CVE-2024-0002", severity: "HIGH", until: "2026-12-31", reason: "no fix" },
            ]);
            assert.deepEqual(v.blockingNames, ["CVE-2024-0003"]);
            // Not capped: 30 of them, though topFindings keeps 25.
            const many = Array.from({ length: 30 }, (_, i) => f(`CVE-2026-${String(i).padStart(4, "0")}`, "HIGH"));
            const all = evaluateGate(IMAGE, result(many), "HIGH", many.map((x) => ({ name: x.name })), NOW);
            assert.equal(all.passed, true);
            assert.equal(all.ignored.length, 30);
            // No gate, nothing left out.
            assert.deepEqual(evaluateGate(IMAGE, MIXED, undefined, ignores, NOW).ignored, []);
        });

        it("a finding listed twice (two packages) is left out once", () => {
            const twice = result([f("CVE-1", "HIGH"), { ...f("CVE-1", "HIGH"), packageName: "libssl" }]);
            assert.deepEqual(evaluateGate(IMAGE, twice, "HIGH", [{ name: "CVE-1" }], NOW).ignored, [{ name: "CVE-1", severity: "HIGH" }]);
        });

        it("an archived image fails the gate with how to restore it", () => {
            const v = evaluateGate(IMAGE, result([], "IMAGE_ARCHIVED"), "HIGH", [], NOW);
            assert.equal(v.passed, false);
            assert.match(v.message!, /archived/);
            assert.match(v.message!, /update-image-storage-class --repository-name team\/web --image-id imageDigest=sha256:1a2b3c4d/);
            assert.match(v.message!, /--target-storage-class STANDARD/);
            assert.doesNotMatch(v.message!, /credentials/);
        });

        it("enhanced scanning: only the listed ACTIVE findings count, not ECR's counts", () => {
            // ECR counted 3 HIGH; Inspector suppressed or closed two, which readScan left out.
            const enhanced = { ...result([f("CVE-1", "HIGH")], "ACTIVE"), findingSeverityCounts: { HIGH: 3 }, scanType: "ENHANCED" as const };
            const v = evaluateGate(IMAGE, enhanced, "HIGH", [{ name: "CVE-1" }], NOW);
            assert.equal(v.passed, true, v.message);
            const basic = { ...enhanced, scanStatus: "COMPLETE", scanType: "BASIC" as const };
            assert.deepEqual(evaluateGate(IMAGE, basic, "HIGH", [{ name: "CVE-1" }], NOW).blockingCounts, { HIGH: 2 });
        });

        it("each threshold counts exactly the severities at or above it", () => {
            const expected: Record<string, string[]> = {
                CRITICAL: ["CRITICAL"],
                HIGH: ["CRITICAL", "HIGH"],
                MEDIUM: ["CRITICAL", "HIGH", "MEDIUM"],
                LOW: ["CRITICAL", "HIGH", "MEDIUM", "LOW"],
                INFORMATIONAL: ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"],
            };
            for (const [threshold, severities] of Object.entries(expected)) {
                const v = evaluateGate(IMAGE, MIXED, threshold as "HIGH", [], NOW);
                assert.deepEqual(Object.keys(v.blockingCounts), severities, threshold);
            }
        });
    });
});

describe("gate: the messages a user reads", () => {
    const LABEL = `123456789012/team/web@${DIGEST} (eu-west-1)`;
    const NEXT = "Nothing was stored; the next `pulumi up` adopts the same scan without starting a new one.";

    it("findings left: the whole message, with counts, names and how to ignore the first one", () => {
        const v = evaluateGate(IMAGE, MIXED, "HIGH", [], NOW);
        assert.equal(
            v.message,
            `ImageScan gate failed for ${LABEL}: 2 finding(s) at or above HIGH (CRITICAL: 1, HIGH: 1): CVE-2024-0001, CVE-2024-0002. ` +
                'Fix the image and push it, or accept a finding with ignoreFindings: [{ name: "CVE-2024-0001", until: "YYYY-MM-DD", reason: "..." }]. ' +
                NEXT,
        );
    });

    it("counted but not listed: no names, and a placeholder in the example", () => {
        const v = evaluateGate(IMAGE, { scanStatus: "COMPLETE", findings: [], findingSeverityCounts: { CRITICAL: 2 } }, "HIGH", [], NOW);
        assert.equal(
            v.message,
            `ImageScan gate failed for ${LABEL}: 2 finding(s) at or above HIGH (CRITICAL: 2). ` +
                'Fix the image and push it, or accept a finding with ignoreFindings: [{ name: "CVE-YYYY-NNNN", until: "YYYY-MM-DD", reason: "..." }]. ' +
                NEXT,
        );
    });

    it("an image index: each blocking finding names the platforms that have it", () => {
        const findings = [
            { name: "CVE-A", severity: "HIGH", platforms: ["linux/amd64", "linux/arm64"] },
            { name: "CVE-B", severity: "HIGH" },
        ];
        const v = evaluateGate(IMAGE, { scanStatus: "COMPLETE", findings, findingSeverityCounts: { HIGH: 2 } }, "HIGH", [], NOW);
        assert.match(v.message!, /\(HIGH: 2\): CVE-A \(linux\/amd64, linux\/arm64\), CVE-B\. Fix/);
    });

    it("no completed scan: says which status, and what to do", () => {
        const v = evaluateGate(IMAGE, result([], "FAILED"), "CRITICAL", [], NOW);
        assert.equal(
            v.message,
            `ImageScan gate failed for ${LABEL}: failOnSeverity is CRITICAL but there is no completed scan to judge (status FAILED). ` +
                `Fix the cause ECR reports, or unset failOnSeverity for this image. ${NEXT}`,
        );
    });

    it("an archived image: the whole restore advice, with a placeholder when the digest is not known", () => {
        const v = evaluateGate(IMAGE, result([], "IMAGE_ARCHIVED"), "HIGH", [], NOW);
        assert.equal(
            v.message,
            `ImageScan gate failed for ${LABEL}: failOnSeverity is HIGH but the image is archived, and ECR does not scan archived images. ` +
                `Restore it from archive (aws ecr update-image-storage-class --repository-name team/web --image-id imageDigest=${DIGEST} --target-storage-class STANDARD), ` +
                "wait for it to be restored, then run `pulumi up` again; or unset failOnSeverity for this image.",
        );
        const noDigest = evaluateGate({ ...IMAGE, imageDigest: undefined }, result([], "IMAGE_ARCHIVED"), "HIGH", [], NOW);
        assert.match(noDigest.message!, /--image-id imageDigest=<digest> --target-storage-class/);
    });

    it("an image index: the platform image that is not complete is named, with its digest", () => {
        const arm = "sha256:" + "b2".repeat(32);
        const v = evaluateGate(IMAGE, result([], "FAILED"), "CRITICAL", [], NOW, { platform: "linux/arm64", imageDigest: arm });
        assert.equal(
            v.message,
            `ImageScan gate failed for ${LABEL}: failOnSeverity is CRITICAL but there is no completed scan to judge (status FAILED of its linux/arm64 image, ${arm}). ` +
                `Fix the cause ECR reports, leave that platform out with platforms, or unset failOnSeverity for this image. ${NEXT}`,
        );
        const archived = evaluateGate(IMAGE, result([], "IMAGE_ARCHIVED"), "HIGH", [], NOW, { platform: "linux/arm64", imageDigest: arm });
        assert.match(archived.message!, new RegExp(`but its linux/arm64 image is archived, and ECR does not scan archived images\\. .*--image-id imageDigest=${arm} --target`));
        // A plain image passed as the unfinished one: no platform to name.
        const plain = evaluateGate(IMAGE, result([], "FAILED"), "CRITICAL", [], NOW, { imageDigest: DIGEST });
        assert.match(plain.message!, /\(status FAILED\)\. Fix the cause ECR reports, or unset/);
    });

    it("an expired ignore warns with when it expired and for which image", () => {
        const v = evaluateGate(IMAGE, MIXED, "HIGH", [{ name: "CVE-2024-0002", until: "2026-06-15T11:59:59Z" }], NOW);
        assert.deepEqual(v.warnings, [
            `ignoreFindings entry "CVE-2024-0002" expired at 2026-06-15T11:59:59Z and counts again for ${LABEL}; fix the finding or extend "until".`,
        ]);
        // Exactly at until: expired.
        assert.equal(evaluateGate(IMAGE, MIXED, "HIGH", [{ name: "CVE-2024-0002", until: "2026-06-15T12:00:00Z" }], NOW).warnings.length, 1);
        // A date-time at midnight is that instant, not the whole day.
        assert.equal(evaluateGate(IMAGE, MIXED, "HIGH", [{ name: "X", until: "2026-06-15T00:00:00Z" }], NOW).warnings.length, 1);
    });

    it("ignoredFindings: most severe first, then by name, each with its entry's until and reason", () => {
        const r = result([f("CVE-B", "HIGH"), f("CVE-A", "HIGH"), f("CVE-C", "CRITICAL")]);
        const ignores: IgnoreEntry[] = [{ name: "CVE-A", reason: "r" }, { name: "CVE-B", until: "2027-01-01" }, { name: "CVE-C" }];
        assert.deepEqual(evaluateGate(IMAGE, r, "HIGH", ignores, NOW).ignored, [
            { name: "CVE-C", severity: "CRITICAL" },
            { name: "CVE-A", severity: "HIGH", reason: "r" },
            { name: "CVE-B", severity: "HIGH", until: "2027-01-01" },
        ]);
    });

    it("an ignored finding that ECR also counted: the count less the ignored listed ones", () => {
        const r = { scanStatus: "COMPLETE", findings: [f("CVE-1", "HIGH"), f("CVE-2", "HIGH")], findingSeverityCounts: { HIGH: 5 } };
        const v = evaluateGate(IMAGE, r, "HIGH", [{ name: "CVE-1" }], NOW);
        assert.deepEqual([v.blockingCounts, v.blockingTotal, v.blockingNames], [{ HIGH: 4 }, 4, ["CVE-2"]]);
        assert.match(v.message!, /4 finding\(s\) at or above HIGH \(HIGH: 4\): CVE-2 and 3 more\./);
    });
});
