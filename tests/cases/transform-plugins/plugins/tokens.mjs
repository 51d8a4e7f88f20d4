// Design tokens (`name = value`) as custom properties, and a rule that uses one.
export async function transform(code) {
  const props = code
    .split('\n')
    .map((l) => l.split('=').map((s) => s.trim()))
    .filter((p) => p.length === 2)
    .map(([k, v]) => `--${k}: ${v};`);
  return { code: `:root { ${props.join(' ')} }\n.brand { color: var(--brand); }\n`, map: null };
}
