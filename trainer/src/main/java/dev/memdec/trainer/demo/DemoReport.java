package dev.memdec.trainer.demo;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a demo run measured: the one table (held-out domain and general perplexity per model), the λ sweep it
 * was tuned on, continuations of domain prompts, and where the time went. Written as report.json.
 *
 * @param lambda          the memory's λ, chosen on the domain validation text
 * @param knnLambda       the kNN-LM's λ, chosen on the same text
 * @param lambdaZeroCheck |joint perplexity at λ = 0 − host perplexity| / host perplexity on the domain test text
 */
public record DemoReport(String config, String generalCorpus, String domainCorpus, Map<String, Object> sizes,
                         List<Row> table, double lambda, double knnLambda, double lambdaZeroCheck, List<SweepPoint> sweep,
                         List<Continuation> continuations, Map<String, Double> stageSeconds, double totalSeconds) {

    /** One model's held-out perplexities. */
    public record Row(String model, double domainPpl, double generalPpl) {
    }

    /** Perplexity of host + memory at one λ. */
    public record SweepPoint(double lambda, double domainValid, double domainTest, double generalTest) {
    }

    /** A prompt continued by the host alone and with the memory mixed in at the tuned λ (greedy). */
    public record Continuation(String prompt, String host, String withMemory) {
    }

    public DemoReport {
        table = List.copyOf(table);
        sweep = List.copyOf(sweep);
        continuations = List.copyOf(continuations);
    }

    /** This report with the stage times and the total filled in. */
    public DemoReport withTimes(Map<String, Double> seconds, double total) {
        return new DemoReport(config, generalCorpus, domainCorpus, sizes, table, lambda, knnLambda, lambdaZeroCheck, sweep,
                continuations, new java.util.LinkedHashMap<>(seconds), total);
    }

    /** The row named {@code model}. */
    public Row row(String model) {
        return table.stream().filter(r -> r.model().equals(model)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row '" + model + "' in the demo table"));
    }

    /** The table as aligned text, rows in order, with the ratio to the host in brackets. */
    public String formatTable() {
        Row host = table.get(0);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %24s %24s%n", "perplexity (held-out test)", "domain", "general"));
        for (Row r : table) {
            String name = r.model().equals(DemoPipeline.MEMORY) ? String.format(Locale.ROOT, "%s (lambda %.2f)", r.model(), lambda)
                    : r.model().equals(DemoPipeline.KNN_LM) ? String.format(Locale.ROOT, "%s (lambda %.2f)", r.model(), knnLambda)
                    : r.model();
            sb.append(String.format(Locale.ROOT, "%-28s %15.2f (x%5.3f) %15.2f (x%5.3f)%n", name, r.domainPpl(),
                    r.domainPpl() / host.domainPpl(), r.generalPpl(), r.generalPpl() / host.generalPpl()));
        }
        return sb.toString();
    }
}
