// pdf.js as its docs set it up: the worker found by `new URL()` of the package's file, a
// document's first page drawn on a canvas and its text read back.
import * as pdfjsLib from 'pdfjs-dist';

pdfjsLib.GlobalWorkerOptions.workerPort = new Worker(new URL('pdfjs-dist/build/pdf.worker.min.mjs', import.meta.url), { type: 'module' });

const out = document.getElementById('out');
try {
  const url = new URL('./hello.pdf', import.meta.url);
  const pdf = await pdfjsLib.getDocument({ url: url.href }).promise;
  const page = await pdf.getPage(1);
  const viewport = page.getViewport({ scale: 1 });
  const canvas = document.getElementById('page');
  canvas.width = viewport.width;
  canvas.height = viewport.height;
  await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
  const text = await page.getTextContent();
  out.textContent = `pages: ${pdf.numPages}, text: ${text.items.map((i) => i.str).join(' ')}`;
} catch (e) {
  out.textContent = `error: ${e}`;
}
out.classList.add('done');
