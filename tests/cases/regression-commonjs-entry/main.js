const dep = require('./dep.js');
console.log(dep.word);
import('./dep.js').then((m) => console.log(m.default.word));
module.exports = {};
