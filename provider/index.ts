// Public API of ImageScan.
export { ImageScan } from "./resource";
export type { ImageScanArgs, IgnoreFindingArgs } from "./resource";
export { ImageScanProvider } from "./provider";
export type { ImageScanProviderOptions } from "./context";
export type { FindingSummary, IgnoredFinding, IgnoreEntry, ImageEntry, ImageScanInputs, ImageScanOutputs, ScanType, Severity } from "./types";
export {
    EcrRequestError,
    EmptyIndexError,
    EnvironmentError,
    GateFailedError,
    ImageNotFoundError,
    PlatformNotFoundError,
    RepositoryNotFoundError,
    ScanTimeoutError,
    UnexpectedError,
} from "./errors";
export type { ImageScanError } from "./errors";
