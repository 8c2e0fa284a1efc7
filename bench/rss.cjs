// Preloaded with --require: prints the process's peak resident memory when it exits.
process.on('exit', () => process.stderr.write(`\nmigc-bench-maxrss-kb ${process.resourceUsage().maxRSS}\n`));
