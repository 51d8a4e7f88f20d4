import App from './App.vue';
import Counter from './Counter.svelte';
import notes from './notes.md';
import notesUrl from './notes.md?url';
import model from './model.glb';
console.log(App, Counter, notes, notesUrl, model);
