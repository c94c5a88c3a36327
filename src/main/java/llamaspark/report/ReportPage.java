package llamaspark.report;

import static llamaspark.report.Svg.num;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jsoup.nodes.DataNode;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched) built as
 * a jsoup DOM, so all user text (prompts, ids, errors) is escaped on output. Figures carry their
 * exact numbers in data-* attributes and the tables have ids, for tests and scrapers.
 */
public final class ReportPage {
    private ReportPage() {
    }

    /** An executor whose tokens per task-second is below this share of the median is marked slow. */
    static final double SLOW = 0.75;

    private static final String CSS = """
            body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1000px;color:#1d2330;padding:0 12px}
            h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce4;padding-bottom:4px}
            .sub{color:#5a6275;margin:0 0 14px}
            .cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
            .card{border:1px solid #d8dce4;border-radius:6px;padding:8px 12px;min-width:120px}
            .card b{display:block;font-size:19px}.card span{color:#5a6275;font-size:12px}
            table{border-collapse:collapse;font-size:13px;margin:8px 0}
            th,td{padding:3px 9px;border-bottom:1px solid #e6e8ee;text-align:right;vertical-align:top}
            th{background:#f3f5f9}td.l,th.l{text-align:left}
            td.mono,code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
            td.wrap{max-width:520px;overflow-wrap:anywhere;text-align:left}
            tr.slow td,td.slow{background:#fdecea}
            svg.chart{display:block;margin:8px 0;max-width:100%;height:auto}
            svg .lbl{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#1d2330}
            svg .end{text-anchor:end}svg .mid{text-anchor:middle}
            svg .axis{stroke:#8a91a3;stroke-width:1}
            svg .box{fill:#9aa5b8}svg .stage .box{stroke:#fff;stroke-width:1}
            svg .f-attn .box{fill:#7fb0e0}svg .f-ffn .box{fill:#8fd19e}svg .f-head .box{fill:#f2b36f}
            svg .f-samp .box{fill:#c4a3e0}svg .f-other .box{fill:#c5ccd8}
            svg .bin .box{fill:#7fb0e0}svg .bar.slow .box{fill:#e57366}svg .bar.ok .box{fill:#7fb0e0}
            svg .bar.run0 .box{fill:#7fb0e0}svg .bar.run1 .box{fill:#f2b36f}svg .bar.run2 .box{fill:#8fd19e}svg .bar.run3 .box{fill:#c4a3e0}
            .legend span{display:inline-block;margin-right:14px;font-size:12px}
            .legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}
            .hists{display:flex;flex-wrap:wrap;gap:6px}
            .note{color:#5a6275;font-size:12px}
            """;

    private static Document shell(String title) {
        Document doc = Document.createShell("");
        doc.outputSettings().prettyPrint(false).charset("UTF-8");
        doc.head().appendElement("meta").attr("charset", "utf-8");
        doc.head().appendElement("meta").attr("name", "viewport").attr("content", "width=device-width, initial-scale=1");
        doc.title(title);
        doc.head().appendElement("style").appendChild(new DataNode(CSS));
        return doc;
    }

    /** The page as text, with its doctype. */
    public static String html(Document doc) {
        return "<!DOCTYPE html>\n" + doc.outerHtml() + "\n";
    }

    /** The report of one job output. */
    public static Document single(RunData d) {
        Document doc = shell("llamaspark report: " + d.label());
        Element body = doc.body();
        JsonNode run = d.run();
        body.appendElement("h1").text("llamaspark report: " + d.label());
        body.appendElement("p").addClass("sub").text("started " + run.path("started_at").asText() + ", finished "
                + run.path("finished_at").asText() + " on " + run.path("cluster").path("master").asText());
        Element cards = body.appendElement("div").addClass("cards").attr("id", "summary");
        card(cards, "wall_seconds", num(run.path("wall_seconds").asDouble(), 2) + " s", "wall time");
        card(cards, "tokens_per_second", num(run.path("tokens_per_second").asDouble(), 1), "completion tokens/s");
        card(cards, "rows.total", Long.toString(d.rows()), "rows");
        card(cards, "rows.failed", Long.toString(d.errorRows()), "error rows");
        card(cards, "tokens.completion", run.path("tokens").path("completion").asText(), "completion tokens");
        card(cards, "cluster.executor_count", run.path("cluster").path("executor_count").asText(), "executors");
        card(cards, "parameters.partitions", run.path("parameters").path("partitions").asText(), "partitions");

        body.appendElement("h2").text("Where the time went");
        body.appendElement("p").addClass("note").text("The study's stage tree over the whole cluster (stage_summary): "
                + "each box's width is its share of generate.iteration; the gap at the right of a box's children is "
                + "time it spent outside them. Hover a box for its numbers.");
        legend(body);
        Svg.icicle(body, "stage-profile", d.stages(), "stage profile of " + d.label());
        stageTable(body, d.stages());

        body.appendElement("h2").text("Executors");
        executors(body, d.executors());
        body.appendElement("h2").text("Partitions");
        partitions(body, d.partitions());

        body.appendElement("h2").text("Rows");
        Element hists = body.appendElement("div").addClass("hists");
        Svg.histogram(hists, "latency-histogram", d.latencyMs(), "latency, elapsed_ms", 480);
        Svg.histogram(hists, "prompt-tokens-histogram", d.promptTokens(), "prompt_tokens", 480);
        Svg.histogram(hists, "completion-tokens-histogram", d.completionTokens(), "completion_tokens", 480);
        finishReasons(hists, d.finishReasons(), d.rows());
        errors(body, d);

        body.appendElement("h2").text("Run");
        runTable(body, run);
        return doc;
    }

    private static void card(Element cards, String key, String value, String caption) {
        Element c = cards.appendElement("div").addClass("card").attr("data-key", key);
        c.appendElement("b").text(value);
        c.appendElement("span").text(caption);
    }

    private static void legend(Element parent) {
        Element l = parent.appendElement("div").addClass("legend");
        String[][] items = {{"#7fb0e0", "attention"}, {"#8fd19e", "feed-forward"}, {"#f2b36f", "classifier head"},
            {"#c4a3e0", "sampling"}, {"#c5ccd8", "other"}};
        for (String[] it : items) {
            Element s = l.appendElement("span");
            s.appendElement("i").attr("style", "background:" + it[0]);
            s.appendText(it[1]);
        }
    }

    private static Element table(Element parent, String id, String... headers) {
        Element t = parent.appendElement("table").attr("id", id);
        Element tr = t.appendElement("thead").appendElement("tr");
        for (String h : headers) {
            Element th = tr.appendElement("th").text(h.startsWith("<") ? h.substring(1) : h);
            if (h.startsWith("<")) {
                th.addClass("l");
            }
        }
        t.appendElement("tbody");
        return t.selectFirst("tbody");
    }

    private static void stageTable(Element parent, List<RunData.StageRow> stages) {
        Element tb = table(parent, "stage-summary", "<Operation", "Calls", "Total(ms)", "Avg(ms)", "%Total");
        for (RunData.StageRow s : stages) {
            Element tr = tb.appendElement("tr").attr("data-stage", s.stage()).attr("data-calls", Long.toString(s.calls()))
                    .attr("data-total-ms", Double.toString(s.totalMs())).attr("data-avg-ms", Double.toString(s.avgMs()))
                    .attr("data-pct", Double.toString(s.pct()));
            tr.appendElement("td").addClass("l").addClass("mono").attr("style", "padding-left:" + (9 + 16 * s.level()) + "px")
                    .text(s.stage());
            tr.appendElement("td").text(Long.toString(s.calls()));
            tr.appendElement("td").text(num(s.totalMs(), 2));
            tr.appendElement("td").text(num(s.avgMs(), 3));
            tr.appendElement("td").text(num(s.pct(), 1) + "%");
        }
    }

    private static double median(double[] v) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static void executors(Element parent, List<RunData.ExecutorRow> executors) {
        double med = median(executors.stream().mapToDouble(RunData.ExecutorRow::tokensPerSecond).toArray());
        List<Svg.Bar> bars = new ArrayList<>();
        for (RunData.ExecutorRow e : executors) {
            bars.add(new Svg.Bar("executor " + e.executorId() + " (" + e.host() + ")", e.tokensPerSecond(),
                    num(e.tokensPerSecond(), 1) + " tok/s, " + num(e.taskSeconds(), 2) + " task-s",
                    slow(e.tokensPerSecond(), med) ? "slow" : "ok"));
        }
        parent.appendElement("p").addClass("note").text("Completion tokens per task-second (run.json); an executor below "
                + Math.round(SLOW * 100) + "% of the median is red.");
        Svg.hbars(parent, "executor-chart", bars, "completion tokens per task-second by executor");
        Element tb = table(parent, "executors", "<Executor", "<Host", "Partitions", "Rows", "Completion tokens",
                "Task time (s)", "Tokens/s", "generate.iteration (ms)", "Huge pages (MB)");
        for (RunData.ExecutorRow e : executors) {
            Element tr = tb.appendElement("tr").attr("data-executor", e.executorId())
                    .attr("data-partitions", Long.toString(e.partitions())).attr("data-rows", Long.toString(e.rows()))
                    .attr("data-completion-tokens", Long.toString(e.completionTokens()))
                    .attr("data-task-seconds", Double.toString(e.taskSeconds()))
                    .attr("data-tokens-per-second", Double.toString(e.tokensPerSecond()))
                    .attr("data-engine-ms", Double.toString(e.engineMs()));
            if (slow(e.tokensPerSecond(), med)) {
                tr.addClass("slow");
            }
            tr.appendElement("td").addClass("l").addClass("mono").text(e.executorId());
            tr.appendElement("td").addClass("l").text(e.host());
            tr.appendElement("td").text(Long.toString(e.partitions()));
            tr.appendElement("td").text(Long.toString(e.rows()));
            tr.appendElement("td").text(Long.toString(e.completionTokens()));
            tr.appendElement("td").text(num(e.taskSeconds(), 2));
            tr.appendElement("td").text(num(e.tokensPerSecond(), 1));
            tr.appendElement("td").text(num(e.engineMs(), 1));
            // 0 MB: the executor's heap on 4 KB pages, which slow the decode loop (README: Engine semantics).
            Element huge = tr.appendElement("td").text(e.hugePagesMb() == null ? "n/a" : e.hugePagesMb() == 0 ? "0 (4 KB pages)"
                    : Long.toString(e.hugePagesMb()));
            if (e.hugePagesMb() != null) {
                tr.attr("data-huge-pages-mb", Long.toString(e.hugePagesMb()));
                if (e.hugePagesMb() == 0) {
                    huge.addClass("slow");
                }
            }
        }
    }

    private static boolean slow(double v, double median) {
        return median > 0 && v < SLOW * median;
    }

    private static void partitions(Element parent, List<RunData.PartitionRow> partitions) {
        double med = median(partitions.stream().mapToDouble(RunData.PartitionRow::tokensPerSecond).toArray());
        List<Svg.Bar> bars = new ArrayList<>();
        for (RunData.PartitionRow p : partitions) {
            bars.add(new Svg.Bar("partition " + p.partitionId() + " on " + p.executorId(), p.taskSeconds(),
                    num(p.taskSeconds(), 2) + " s, " + p.rows() + " rows, " + num(p.tokensPerSecond(), 1) + " tok/s",
                    slow(p.tokensPerSecond(), med) ? "slow" : "ok"));
        }
        parent.appendElement("p").addClass("note").text("Task time per partition (run.json); rows and tokens from "
                + "generations; generate.iteration from stage_timings.");
        Svg.hbars(parent, "partition-chart", bars, "task time by partition");
        Element tb = table(parent, "partitions", "Partition", "<Executor", "<Host", "Rows", "Failed", "Prompt tokens",
                "Completion tokens", "Task time (s)", "Tokens/s", "generate.iteration (ms)");
        for (RunData.PartitionRow p : partitions) {
            Element tr = tb.appendElement("tr").attr("data-partition", Integer.toString(p.partitionId()))
                    .attr("data-executor", p.executorId()).attr("data-rows", Long.toString(p.rows()))
                    .attr("data-failed-rows", Long.toString(p.failedRows()))
                    .attr("data-prompt-tokens", Long.toString(p.promptTokens()))
                    .attr("data-completion-tokens", Long.toString(p.completionTokens()))
                    .attr("data-task-seconds", Double.toString(p.taskSeconds()))
                    .attr("data-engine-ms", Double.toString(p.engineMs()));
            if (slow(p.tokensPerSecond(), med)) {
                tr.addClass("slow");
            }
            tr.appendElement("td").text(Integer.toString(p.partitionId()));
            tr.appendElement("td").addClass("l").addClass("mono").text(p.executorId());
            tr.appendElement("td").addClass("l").text(p.host() == null ? "" : p.host());
            tr.appendElement("td").text(Long.toString(p.rows()));
            tr.appendElement("td").text(Long.toString(p.failedRows()));
            tr.appendElement("td").text(Long.toString(p.promptTokens()));
            tr.appendElement("td").text(Long.toString(p.completionTokens()));
            tr.appendElement("td").text(Double.isNaN(p.taskSeconds()) ? "" : num(p.taskSeconds(), 2));
            tr.appendElement("td").text(num(p.tokensPerSecond(), 1));
            tr.appendElement("td").text(num(p.engineMs(), 1));
        }
    }

    private static void finishReasons(Element parent, Map<String, Long> reasons, long rows) {
        Element box = parent.appendElement("div");
        box.appendElement("p").addClass("note").text("finish_reason (error rows have none)");
        Element tb = table(box, "finish-reasons", "<finish_reason", "Rows", "Share");
        for (Map.Entry<String, Long> e : reasons.entrySet()) {
            Element tr = tb.appendElement("tr").attr("data-reason", e.getKey()).attr("data-count", Long.toString(e.getValue()));
            tr.appendElement("td").addClass("l").addClass("mono").text(e.getKey());
            tr.appendElement("td").text(Long.toString(e.getValue()));
            tr.appendElement("td").text(num(rows > 0 ? 100.0 * e.getValue() / rows : 0, 1) + "%");
        }
    }

    private static void errors(Element parent, RunData d) {
        Element h = parent.appendElement("h2").text("Error rows: " + d.errorRows());
        h.attr("id", "errors").attr("data-count", Long.toString(d.errorRows()));
        if (d.firstErrors().isEmpty()) {
            parent.appendElement("p").addClass("note").text("none");
            return;
        }
        parent.appendElement("p").addClass("note").text("The first " + d.firstErrors().size() + " by id.");
        Element tb = table(parent, "error-rows", "<id", "<source", "<error");
        for (RunData.ErrorRow e : d.firstErrors()) {
            Element tr = tb.appendElement("tr").attr("data-id", e.id());
            tr.appendElement("td").addClass("wrap").addClass("mono").text(e.id());
            tr.appendElement("td").addClass("wrap").addClass("mono").text(e.source() == null ? "" : e.source());
            tr.appendElement("td").addClass("wrap").text(e.error());
        }
    }

    /** Every scalar of run.json (arrays of scalars joined), keyed by its dotted path; executors and tasks are above. */
    private static void runTable(Element parent, JsonNode run) {
        Element tb = table(parent, "run", "<Field", "<Value");
        addFields(tb, "", run);
    }

    private static void addFields(Element tb, String prefix, JsonNode node) {
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = prefix + f.getKey();
            JsonNode v = f.getValue();
            if (v.isObject()) {
                addFields(tb, key + ".", v);
            } else if (v.isArray() && (key.equals("executors") || key.equals("tasks"))) {
                continue;
            } else {
                String text = v.isArray() ? joined(v) : v.isNull() ? "" : v.asText();
                Element tr = tb.appendElement("tr").attr("data-key", key).attr("data-value", text);
                tr.appendElement("td").addClass("l").addClass("mono").text(key);
                tr.appendElement("td").addClass("wrap").addClass("mono").text(text);
            }
        }
    }

    private static String joined(JsonNode array) {
        List<String> parts = new ArrayList<>();
        array.forEach(x -> parts.add(x.isValueNode() ? x.asText() : x.toString()));
        return String.join(", ", parts);
    }

    /** Several outputs side by side, stage by stage. */
    public static Document compare(List<RunData> runs) {
        Document doc = shell("llamaspark comparison of " + runs.size() + " runs");
        Element body = doc.body();
        body.appendElement("h1").text("llamaspark: " + runs.size() + " runs side by side");
        Element ol = body.appendElement("ol").attr("id", "runs");
        for (RunData d : runs) {
            JsonNode r = d.run();
            ol.appendElement("li").attr("data-label", d.label()).text(d.caption() + ": " + d.rows() + " rows, "
                    + num(r.path("wall_seconds").asDouble(), 2) + " s wall, master " + r.path("cluster").path("master").asText()
                    + ", model " + r.path("model").path("file").asText());
        }
        body.appendElement("h2").text("Completion tokens per second");
        List<Svg.Bar> tps = new ArrayList<>();
        for (RunData d : runs) {
            double v = d.run().path("tokens_per_second").asDouble();
            tps.add(new Svg.Bar(d.caption(), v, num(v, 1) + " tok/s", "ok"));
        }
        Svg.hbars(body, "tokens-per-second-chart", tps, "completion tokens per second by run");

        body.appendElement("h2").text("Stage profiles");
        legend(body);
        for (int i = 0; i < runs.size(); i++) {
            body.appendElement("p").addClass("note").text(runs.get(i).caption());
            Svg.icicle(body, "stage-profile-" + i, runs.get(i).stages(), "stage profile of " + runs.get(i).caption());
        }

        Set<String> stages = new LinkedHashSet<>();
        runs.forEach(d -> d.stages().forEach(s -> stages.add(s.stage())));
        body.appendElement("h2").text("Milliseconds per call, stage by stage");
        body.appendElement("p").addClass("note").text("One bar per run for each stage (avg_ms of stage_summary); "
                + "hover for the share of generate.iteration.");
        List<Svg.Bar> bars = new ArrayList<>();
        for (String st : stages) {
            for (int i = 0; i < runs.size(); i++) {
                RunData.StageRow s = runs.get(i).stage(st);
                double v = s == null ? 0 : s.avgMs();
                bars.add(new Svg.Bar(st + " [" + (i + 1) + "]", v, s == null ? "-" : num(v, 3) + " ms, "
                        + num(s.pct(), 1) + "%", "run" + (i % 4)));
            }
        }
        Svg.hbars(body, "stage-compare-chart", bars, "milliseconds per call by stage and run");

        List<String> headers = new ArrayList<>(List.of("<Operation"));
        for (int i = 0; i < runs.size(); i++) {
            headers.add("[" + (i + 1) + "] ms/call");
            headers.add("[" + (i + 1) + "] %");
        }
        Element tb = table(body, "stage-compare", headers.toArray(String[]::new));
        for (String st : stages) {
            Element tr = tb.appendElement("tr").attr("data-stage", st);
            tr.appendElement("td").addClass("l").addClass("mono").text(st);
            for (int i = 0; i < runs.size(); i++) {
                RunData.StageRow s = runs.get(i).stage(st);
                tr.appendElement("td").attr("data-run", Integer.toString(i))
                        .attr("data-avg-ms", s == null ? "" : Double.toString(s.avgMs())).text(s == null ? "" : num(s.avgMs(), 3));
                tr.appendElement("td").attr("data-run", Integer.toString(i))
                        .attr("data-pct", s == null ? "" : Double.toString(s.pct())).text(s == null ? "" : num(s.pct(), 1) + "%");
            }
        }
        return doc;
    }
}
