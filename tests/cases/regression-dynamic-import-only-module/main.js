console.log('ran');
import('./later.js').then((m) => console.log(m.word));
