// The README's wiring example, as a program the mocks test runs.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ImageScan } from "../../provider/index";

export function program() {
    const repo = new aws.ecr.Repository("web", { name: "web", imageScanningConfiguration: { scanOnPush: true } });
    const scan = new ImageScan("web-scan", {
        repositoryName: repo.name,
        imageTag: "1.4.2",
        failOnSeverity: "HIGH",
    });
    // Anything that deploys the image waits for the scan, and takes the scanned digest.
    const release = new aws.ssm.Parameter(
        "web-release",
        { type: "String", value: scan.imageDigest },
        { dependsOn: [scan] },
    );
    return { repo, scan, release, url: pulumi.interpolate`${repo.repositoryUrl}@${scan.imageDigest}` };
}
