#!/usr/bin/env python3
"""Draws docs/scaling.csv (jobs/scaling-bench) as an SVG: decode tokens/s against batch size, and
prefill tokens/s against prompt length, llamaspark beside np_llama.py. Plain SVG (no matplotlib
here). The knee: the smallest batch whose tokens/s is within 10% of the best of the sweep."""
import csv
import math
import sys

src, dst = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
COLORS = {"llamaspark": "#d62728", "np_llama": "#1f77b4"}
W, H, M = 440, 300, 55


def series(sweep):
    out = {}
    for r in rows:
        if r["sweep"] == sweep:
            out.setdefault(r["engine"], []).append((float(r["x"]), float(r["tokens_per_s"])))
    return out


def knee(points):
    best = max(t for _, t in points)
    return min(x for x, t in points if t >= 0.9 * best)


def panel(ox, title, xlabel, data, logx, mark=None):
    xs = [x for pts in data.values() for x, _ in pts]
    ys = [y for pts in data.values() for _, y in pts]
    fx = (lambda v: math.log2(v)) if logx else (lambda v: v)
    x0, x1 = fx(min(xs)), fx(max(xs))
    y1 = max(ys) * 1.1
    px = lambda v: ox + M + (fx(v) - x0) / (x1 - x0) * (W - M - 15)
    py = lambda v: H - M + 10 - v / y1 * (H - M - 30)
    s = [f'<text x="{ox + W / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>',
         f'<line x1="{ox + M}" y1="{py(0)}" x2="{ox + W - 15}" y2="{py(0)}" stroke="#000"/>',
         f'<line x1="{ox + M}" y1="{py(0)}" x2="{ox + M}" y2="{py(y1)}" stroke="#000"/>',
         f'<text x="{ox + W / 2}" y="{H - 12}" text-anchor="middle">{xlabel}</text>',
         f'<text x="{ox + 14}" y="{H / 2}" text-anchor="middle" transform="rotate(-90 {ox + 14} {H / 2})">tokens/s</text>']
    for x in sorted(set(xs)):
        s.append(f'<text x="{px(x):.1f}" y="{py(0) + 16}" text-anchor="middle" font-size="11">{x:g}</text>')
    step = 10 ** math.floor(math.log10(y1 / 4))
    step *= 5 if y1 / step > 20 else (2 if y1 / step > 8 else 1)
    v = 0
    while v <= y1:
        s.append(f'<text x="{ox + M - 5}" y="{py(v) + 4:.1f}" text-anchor="end" font-size="11">{v:g}</text>')
        s.append(f'<line x1="{ox + M}" y1="{py(v):.1f}" x2="{ox + W - 15}" y2="{py(v):.1f}" stroke="#ddd"/>')
        v += step
    for i, (engine, pts) in enumerate(sorted(data.items())):
        pts.sort()
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        s.append(f'<polyline points="{path}" fill="none" stroke="{COLORS[engine]}" stroke-width="2"/>')
        for x, y in pts:
            s.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{COLORS[engine]}">'
                     f'<title>{engine} {x:g}: {y:g} tokens/s</title></circle>')
        s.append(f'<text x="{ox + M + 10}" y="{40 + 16 * i}" fill="{COLORS[engine]}" font-size="12">{engine}</text>')
    if mark is not None:
        s.append(f'<line x1="{px(mark):.1f}" y1="{py(0)}" x2="{px(mark):.1f}" y2="{py(y1)}" stroke="#888" stroke-dasharray="4 3"/>')
        s.append(f'<text x="{px(mark) + 4:.1f}" y="{py(y1) + 12:.1f}" font-size="11" fill="#555">knee: B={mark:g}</text>')
    return s


batch, prompt = series("batch"), series("prompt")
k = knee(batch["llamaspark"])
body = panel(0, "Decode, one thread", "batch size", batch, True, k) + \
    panel(W, "Prefill at B=1, one thread", "prompt tokens", prompt, False)
svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H}" font-family="sans-serif" font-size="13">'
       f'<rect width="100%" height="100%" fill="#fff"/>' + "".join(body) + "</svg>\n")
open(dst, "w").write(svg)
print(f"knee (llamaspark): batch {k:g}; wrote {dst}")
