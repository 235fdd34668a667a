import { LocalDiskBackend } from "../src/blobs/local-disk.js";
import { blobBackendContract } from "./support/blob-backend-contract.js";
import { tempDirs } from "./support/cli.js";

// The contract every blob backend keeps, on the local disk (the S3 plugin runs the same one).
const dirs = tempDirs("deskgraph-blob-backend-");
blobBackendContract("local-disk", async () => ({ backend: new LocalDiskBackend(dirs()), close: async () => {} }));
