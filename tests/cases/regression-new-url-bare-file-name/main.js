console.log(new URL('lib.wasm', import.meta.url).pathname.replace(/.*\/assets\//, 'assets/'));
console.log(new URL('.', import.meta.url).pathname.endsWith('/assets/'));
