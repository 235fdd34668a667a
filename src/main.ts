// Kept for `tsx src/main.ts <command>`: the command line lives in src/cli/.
import "./cli/main.js";
