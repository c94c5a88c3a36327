package llamaspark.profile;

import java.util.Locale;

/** Formats a {@link StageProfile} as the study's table: Operation, Calls, Total(ms), Avg(ms), %Total. */
public final class ProfileTable {
    private ProfileTable() {
    }

    public static String format(StageProfile p) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-44s%7s%12s%10s%8s%n", "Operation", "Calls", "Total(ms)", "Avg(ms)", "%Total"));
        sb.append("-".repeat(81)).append(System.lineSeparator());
        double root = p.totalMillis(Stage.ROOT);
        for (Stage s : Stage.values()) {
            long calls = p.calls(s);
            if (calls == 0) {
                continue;
            }
            double total = p.totalMillis(s);
            String name = "  ".repeat(s.level()) + s.label();
            double pct = root > 0 ? 100.0 * total / root : 0.0;
            sb.append(String.format(Locale.ROOT, "%-44s%7d%12.2f%10.3f%7.1f%%%n", name, calls, total, total / calls, pct));
        }
        return sb.toString();
    }
}
