package llamaspark.report;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jsoup.nodes.Element;

/** The report's charts as inline SVG elements (jsoup escapes every label and title). */
final class Svg {
    private Svg() {
    }

    static final int WIDTH = 960;
    private static final double CHAR_PX = 6.6; // at the 11px labels, to decide what fits

    /** One bar of a bar chart: its label, value, the text printed beside it, and a CSS class. */
    record Bar(String label, double value, String text, String cssClass) {
    }

    static String num(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static Element svg(Element parent, String id, int width, int height, String title) {
        Element s = parent.appendElement("svg").attr("id", id).attr("class", "chart")
                .attr("xmlns", "http://www.w3.org/2000/svg")
                .attr("width", Integer.toString(width)).attr("height", Integer.toString(height))
                .attr("viewBox", "0 0 " + width + " " + height).attr("role", "img");
        s.appendElement("title").text(title);
        return s;
    }

    private static Element rect(Element parent, double x, double y, double w, double h, String cssClass) {
        return parent.appendElement("rect").attr("x", num(x, 1)).attr("y", num(y, 1))
                .attr("width", num(Math.max(w, 0), 1)).attr("height", num(h, 1)).attr("class", cssClass);
    }

    private static Element text(Element parent, double x, double y, String s, String cssClass) {
        return parent.appendElement("text").attr("x", num(x, 1)).attr("y", num(y, 1)).attr("class", cssClass).text(s);
    }

    /** Shortens {@code s} to fit {@code px} pixels, or returns "" when not even a few characters fit. */
    static String fit(String s, double px) {
        int chars = (int) (px / CHAR_PX);
        if (chars >= s.length()) {
            return s;
        }
        return chars < 4 ? "" : s.substring(0, chars - 1) + "…";
    }

    /** The family colour of a stage: attention, feed-forward, head, sampling, or the rest. */
    static String family(String stage) {
        if (stage.startsWith("attention.") || stage.equals("transformer_block.attention")) {
            return "f-attn";
        }
        if (stage.startsWith("feedforward.") || stage.equals("transformer_block.feedforward")) {
            return "f-ffn";
        }
        if (stage.equals("llama.head")) {
            return "f-head";
        }
        if (stage.startsWith("do_sampling") || stage.endsWith(".compute")) {
            return "f-samp";
        }
        return "f-other";
    }

    /**
     * The stage tree as an icicle: the root spans the width, each stage sits under its parent with a
     * width proportional to its total time, one row per level. Time a parent spends outside its
     * timed children is the gap at the right of its children.
     */
    static void icicle(Element parent, String id, List<RunData.StageRow> stages, String title) {
        int rowH = 30;
        int levels = stages.stream().mapToInt(RunData.StageRow::level).max().orElse(0) + 1;
        Element s = svg(parent, id, WIDTH, levels * rowH + 2, title);
        RunData.StageRow root = stages.isEmpty() ? null : stages.get(0);
        if (root == null || root.totalMs() <= 0) {
            return;
        }
        Map<String, double[]> box = new HashMap<>(); // stage -> {x, w, next child x}
        for (RunData.StageRow st : stages) {
            double x;
            double w;
            double[] p = st.parent() == null ? null : box.get(st.parent());
            if (p == null) {
                x = 0;
                w = WIDTH * st.totalMs() / root.totalMs();
            } else {
                RunData.StageRow ps = stageOf(stages, st.parent());
                x = p[2];
                w = Math.min(p[1] * st.totalMs() / ps.totalMs(), p[0] + p[1] - x);
                p[2] += w;
            }
            box.put(st.stage(), new double[] {x, w, x});
            double y = st.level() * rowH + 1;
            Element g = s.appendElement("g").attr("class", "stage " + family(st.stage()))
                    .attr("data-stage", st.stage()).attr("data-total-ms", Double.toString(st.totalMs()))
                    .attr("data-pct", Double.toString(st.pct()));
            String full = st.stage() + ": " + num(st.totalMs(), 1) + " ms, " + num(st.pct(), 1) + "% of "
                    + root.stage() + ", " + st.calls() + " calls, " + num(st.avgMs(), 3) + " ms per call";
            g.appendElement("title").text(full);
            rect(g, x + 0.5, y, w - 1, rowH - 2, "box");
            String label = fit(st.stage() + " " + num(st.totalMs(), 0) + " ms " + num(st.pct(), 1) + "%", w - 6);
            if (label.length() < st.stage().length() + 3) {
                label = fit(st.stage(), w - 6);
            }
            if (!label.isEmpty()) {
                text(g, x + 4, y + rowH / 2.0 + 3, label, "lbl");
            }
        }
    }

    private static RunData.StageRow stageOf(List<RunData.StageRow> stages, String name) {
        for (RunData.StageRow s : stages) {
            if (s.stage().equals(name)) {
                return s;
            }
        }
        throw new IllegalStateException("no stage " + name);
    }

    /** Horizontal bars, one per item, scaled to the largest value. */
    static void hbars(Element parent, String id, List<Bar> bars, String title) {
        int rowH = 22;
        int labelW = 250;
        int textW = 190;
        Element s = svg(parent, id, WIDTH, Math.max(1, bars.size()) * rowH + 4, title);
        double max = bars.stream().mapToDouble(Bar::value).max().orElse(0);
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double y = i * rowH + 2;
            Element g = s.appendElement("g").attr("class", "bar " + b.cssClass()).attr("data-label", b.label())
                    .attr("data-value", Double.toString(b.value()));
            g.appendElement("title").text(b.label() + ": " + b.text());
            text(g, labelW - 6, y + rowH / 2.0 + 4, fit(b.label(), labelW - 10), "lbl end");
            double w = max > 0 ? (WIDTH - labelW - textW) * b.value() / max : 0;
            rect(g, labelW, y + 2, w, rowH - 5, "box");
            text(g, labelW + w + 5, y + rowH / 2.0 + 4, b.text(), "lbl");
        }
    }

    /** A histogram: one column per bin, counts on the y axis, bin edges on the x axis. */
    static void histogram(Element parent, String id, Histogram h, String xLabel, int width) {
        int height = 190;
        int left = 44;
        int bottom = 40;
        int top = 12;
        Element s = svg(parent, id, width, height, "histogram of " + h.column());
        s.attr("data-column", h.column()).attr("data-n", Long.toString(h.n()));
        long max = 0;
        for (long c : h.counts()) {
            max = Math.max(max, c);
        }
        double plotW = width - left - 10;
        double plotH = height - bottom - top;
        s.appendElement("line").attr("x1", num(left, 1)).attr("y1", num(top + plotH, 1))
                .attr("x2", num(left + plotW, 1)).attr("y2", num(top + plotH, 1)).attr("class", "axis");
        text(s, left - 4, top + 8, Long.toString(max), "lbl end");
        text(s, left - 4, top + plotH, "0", "lbl end");
        int bins = h.counts().length;
        boolean integer = h.width() == Math.rint(h.width()) && h.min() == Math.rint(h.min());
        for (int i = 0; i < bins; i++) {
            double bw = plotW / bins;
            double bh = max > 0 ? plotH * h.counts()[i] / max : 0;
            String range = integer
                    ? (h.width() == 1 ? num(h.lo(i), 0) : num(h.lo(i), 0) + "–" + num(h.hi(i) - 1, 0))
                    : num(h.lo(i), 1) + "–" + num(h.hi(i), 1);
            Element g = s.appendElement("g").attr("class", "bin").attr("data-lo", Double.toString(h.lo(i)))
                    .attr("data-hi", Double.toString(h.hi(i))).attr("data-count", Long.toString(h.counts()[i]));
            g.appendElement("title").text(range + ": " + h.counts()[i] + " rows");
            rect(g, left + i * bw + 1, top + plotH - bh, bw - 2, bh, "box");
        }
        text(s, left, top + plotH + 14, integer ? num(h.min(), 0) : num(h.min(), 1), "lbl");
        text(s, left + plotW, top + plotH + 14, integer ? num(h.max(), 0) : num(h.max(), 1), "lbl end");
        text(s, left + plotW / 2, top + plotH + 32, xLabel + " (" + h.n() + " rows)", "lbl mid");
    }
}
