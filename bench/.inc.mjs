function h(){ gc(); gc(); return process.memoryUsage().heapUsed; }
await import('node:net'); await import('data:text/javascript,export default 1');
let a = h();
for (const m of process.argv.slice(2)) { await import(m); const b = h(); console.log(m.padEnd(50), ((b-a)/1e3).toFixed(0), 'KB'); a = b; }
