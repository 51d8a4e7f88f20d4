// monaco-editor with its TypeScript language service: the editor and TypeScript workers found
// by `new URL()` of the package's files, as monaco's docs set them up for bundlers. The TS
// worker reports the type error of the model as a marker.
import * as monaco from 'monaco-editor/editor/editor.api.js';
import 'monaco-editor/languages/definitions/typescript/register.js';
import { typescriptDefaults } from 'monaco-editor/languages/features/typescript/register.js';

self.MonacoEnvironment = {
  getWorker(_id, label) {
    if (label === 'typescript' || label === 'javascript') {
      return new Worker(new URL('monaco-editor/language/typescript/ts.worker.js', import.meta.url), { type: 'module' });
    }
    return new Worker(new URL('monaco-editor/editor/editor.worker.js', import.meta.url), { type: 'module' });
  },
};

typescriptDefaults.setEagerModelSync(true);
const out = document.getElementById('out');
const model = monaco.editor.createModel('const answer: number = "forty-two";\n', 'typescript', monaco.Uri.parse('file:///main.ts'));
monaco.editor.create(document.getElementById('editor'), { model, minimap: { enabled: false }, fontSize: 14, cursorBlinking: 'solid', renderValidationDecorations: 'off' });

const done = (text) => {
  out.textContent = text;
  out.classList.add('done');
};
const timer = setTimeout(() => done('no markers after 20 s'), 20000);
monaco.editor.onDidChangeMarkers(() => {
  const markers = monaco.editor.getModelMarkers({ resource: model.uri });
  if (markers.length) {
    clearTimeout(timer);
    done(`markers: ${markers.length}, ${markers[0].message}`);
  }
});
