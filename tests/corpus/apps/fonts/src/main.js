// A package's stylesheet imported from JS.
import '@fontsource-variable/inter';

await document.fonts.ready;
const out = document.getElementById('out');
out.textContent = `Inter: ${document.fonts.check('400 16px Inter')}, Inter Variable: ${document.fonts.check("650 16px 'Inter Variable'")}`;
out.className = 'done';
