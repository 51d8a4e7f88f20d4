// A small YAML subset (key: value, key: [a, b]) as an ES module's default export.
export function transform(code, id) {
  if (!id.endsWith('.yaml')) return null;
  const data = {};
  for (const line of code.split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const value = m[2].startsWith('[') ? m[2].slice(1, -1).split(',').map((s) => s.trim()) : m[2];
    data[m[1]] = value;
  }
  return `export default ${JSON.stringify(data)};`;
}
