// Two of mermaid's diagrams, each a lazy chunk; the sequence diagram's chunk shares CommonJS
// packages (@braintree/sanitize-url) with others.
import mermaid from 'mermaid';

mermaid.initialize({ startOnLoad: false, deterministicIds: true, theme: 'default' });

const flow = 'flowchart LR\n  A[Build] --> B{Runs?}\n  B -->|yes| C[Ship]\n  B -->|no| D[Fix]\n  D --> A';
const seq = 'sequenceDiagram\n  participant K as kiln\n  participant B as Browser\n  K->>B: the page\n  B-->>K: it runs\n  Note over K,B: <a href="https://example.com/">a link</a>';

const out = document.getElementById('out');
try {
  const a = await mermaid.render('flow-svg', flow);
  document.getElementById('flow').innerHTML = a.svg;
  const b = await mermaid.render('seq-svg', seq);
  document.getElementById('seq').innerHTML = b.svg;
  out.textContent = `flowchart: ${a.svg.includes('Ship')}, sequence: ${b.svg.includes('Browser')}`;
} catch (e) {
  out.textContent = `error: ${e}`;
}
out.classList.add('done');
