#!/usr/bin/env python3
"""Writes a generated site of about N files (default 5,000) for benches/site.sh: pages that
share stylesheets, stylesheets with @import and url(), scripts, SVG and PNG images, a public
folder. Deterministic: the same N gives the same bytes."""
import os, random, struct, sys, zlib

out = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
rnd = random.Random(42)
pages, css, js, svg, png, public = n * 20 // 100, n * 15 // 100, n * 15 // 100, n * 25 // 100, n * 20 // 100, n * 5 // 100

def write(rel, data):
    path = os.path.join(out, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

def png_bytes(w, h, seed):
    r = random.Random(seed)
    rows = b"".join(b"\x00" + bytes(r.randrange(256) if (x // 4 + y // 4) % 3 == 0 else 200 for x in range(w * 3)) for y in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")

words = "bread flour oven crust rye wheat seed loaf morning butter salt water yeast knead proof bake".split()
for i in range(svg):
    write(f"img/icons/i{i}.svg", f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M{i%24} 2 L{(i*7)%24} 22 L{(i*3)%24} 12 Z" fill="#{i*2654435761 % 0xFFFFFF:06x}"/><circle cx="12" cy="12" r="{i%10+1}"/></svg>\n')
for i in range(png):
    write(f"img/photos/p{i}.png", png_bytes(24 + i % 16, 16 + i % 12, i))
for i in range(css):
    rules = []
    for k in range(40):
        icon = rnd.randrange(svg)
        rules.append(f".c{i}-{k} {{ color: #{rnd.randrange(0xFFFFFF):06x}; padding: {k % 7}px {k % 5}rem; background: url(../img/icons/i{icon}.svg) no-repeat; display: flex; }}")
    imp = f'@import "base/b{i % 20}.css";\n' if i >= 20 else ""
    target = f"css/base/b{i}.css" if i < 20 else f"css/s{i}.css"
    if i < 20:
        imp = ""
        rules = [r.replace("../img/", "../../img/") for r in rules]
        rules.append(f".photo-{i} {{ background-image: url(../../img/photos/p{i % png}.png); }}")
    write(target, imp + "\n".join(rules) + "\n")
for i in range(js):
    body = "\n".join(f"  function {w}{i}_{k}(a, b) {{ return a * {k} + b.length + '{rnd.choice(words)}'; }}" for k, w in enumerate(rnd.sample(words, 8)))
    write(f"js/m{i}.js", f"(function () {{\n{body}\n  window.m{i} = {words[i % len(words)]}{i}_0;\n}})();\n")
for i in range(public):
    write(f"public/static/f{i}.txt", " ".join(rnd.choice(words) for _ in range(200)) + "\n")
for i in range(pages):
    sheet = f"css/s{20 + i % (css - 20)}.css"
    imgs = "\n".join(f'<img src="../img/photos/p{rnd.randrange(png)}.png" alt="" width="32" height="24"><img src="../img/icons/i{rnd.randrange(svg)}.svg" alt="">' for _ in range(4))
    text = "\n".join(f"<p>{' '.join(rnd.choice(words) for _ in range(60))}</p>" for _ in range(6))
    write(f"pages/p{i}.html", f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Page {i}</title>
<link rel="stylesheet" href="../{sheet}">
<script src="../js/m{i % js}.js" defer></script></head>
<body><h1>Page {i}</h1>
{imgs}
{text}
</body></html>
""")
print(f"{pages + css + js + svg + png + public} files in {out}")
