// A tiny child for the supervisor's tests: `node child.mjs <mode> <name> [ms]`.
//   crash:    says "started", exits 1 after <ms>
//   config:   exits 78 at once (a refused configuration)
//   serve:    says "started", runs until SIGTERM, says "stopping", exits 0 <ms> later ("stopped")
//   stubborn: says "started", ignores SIGTERM
const [mode, name, ms = '0'] = process.argv.slice(2);
const delay = Number(ms);
console.log(`started ${name} ${process.pid}`);
if (mode === 'crash') setTimeout(() => process.exit(1), delay);
if (mode === 'config') process.exit(78);
if (mode === 'serve' || mode === 'stubborn') {
  setInterval(() => {}, 60_000);
  process.on('SIGTERM', () => {
    console.log(`stopping ${name}`);
    if (mode === 'stubborn') return;
    setTimeout(() => {
      console.log(`stopped ${name}`);
      process.exit(0);
    }, delay);
  });
}
