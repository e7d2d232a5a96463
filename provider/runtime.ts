// What the serialized provider in state loads at call time, by package name:
// `require("pulumi-ecr-imagescan/runtime")`. Its shape is a contract with every state
// file ever written (see shim.ts): keep `provider` and its methods' signatures.

import { ImageScanProvider } from "./provider";

/** One provider for the whole process: the Pulumi host serves every ImageScan in it. */
export const provider = new ImageScanProvider();
