package dev.memdec.trainer.demo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a demo run measured: the one table (held-out domain and general perplexity per model), the λ sweeps the
 * mixed models were tuned on, continuations of domain prompts, and where the time went. Written as report.json.
 *
 * @param hostValid       the host alone on the validation texts (the reference of the λ rule)
 * @param lambdaRule      how λ was chosen ({@link LambdaRule#describe()})
 * @param lambda          the memory's λ, chosen by the rule on the validation texts
 * @param knnLambda       the kNN-LM's λ, chosen by the same rule on the same texts
 * @param bigramLambda    λ of the host mixed with the domain bigram, chosen by the same rule on the same texts
 * @param mlpLambda       the MLP memory's λ, chosen by the same rule on the same texts
 * @param lambdaZeroCheck |joint perplexity at λ = 0 − host perplexity| / host perplexity on the domain test text
 * @param sweep           host + memory at every λ
 * @param knnSweep        host + kNN-LM at every λ
 * @param bigramSweep     host + domain bigram at every λ
 * @param mlpSweep        host + MLP memory at every λ
 * @param baselines       the n-gram baselines' smoothing, by row name
 * @param sampling        how the continuations were sampled
 */
public record DemoReport(String config, String generalCorpus, String domainCorpus, Map<String, Object> sizes,
                         List<Row> table, Row hostValid, String lambdaRule, double lambda, double knnLambda,
                         double bigramLambda, double mlpLambda, double lambdaZeroCheck, List<SweepPoint> sweep,
                         List<SweepPoint> knnSweep, List<SweepPoint> bigramSweep, List<SweepPoint> mlpSweep,
                         Map<String, String> baselines, String sampling,
                         List<Continuation> continuations, Map<String, Double> stageSeconds, double totalSeconds) {

    /**
     * One model's perplexities on the domain and the general test text.
     *
     * @param lambda the mixing weight of a mixed row (chosen on validation text), null for a single model
     */
    public record Row(String model, double domainPpl, double generalPpl, Double lambda) {

        public Row(String model, double domainPpl, double generalPpl) {
            this(model, domainPpl, generalPpl, null);
        }
    }

    /** Perplexity of a mixed model at one λ on the four held-out texts. */
    public record SweepPoint(double lambda, double domainValid, double generalValid, double domainTest,
                             double generalTest) {
    }

    /**
     * A prompt continued by the host alone, the DAPT host, and the host with the memory at the chosen λ: sampled
     * (the same seed for each) and greedy.
     */
    public record Continuation(String prompt, String host, String dapt, String withMemory, String hostGreedy,
                               String daptGreedy, String withMemoryGreedy) {
    }

    public DemoReport {
        table = List.copyOf(table);
        sweep = List.copyOf(sweep);
        knnSweep = List.copyOf(knnSweep);
        bigramSweep = List.copyOf(bigramSweep);
        mlpSweep = List.copyOf(mlpSweep);
        baselines = Map.copyOf(baselines);
        continuations = List.copyOf(continuations);
    }

    /** This report with the stage times and the total filled in. */
    public DemoReport withTimes(Map<String, Double> seconds, double total) {
        return new DemoReport(config, generalCorpus, domainCorpus, sizes, table, hostValid, lambdaRule, lambda, knnLambda,
                bigramLambda, mlpLambda, lambdaZeroCheck, sweep, knnSweep, bigramSweep, mlpSweep, baselines, sampling,
                continuations,
                new LinkedHashMap<>(seconds), total);
    }

    /** The row named {@code model}. */
    public Row row(String model) {
        return table.stream().filter(r -> r.model().equals(model)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no row '" + model + "' in the demo table"));
    }

    /** The sweep point of the memory's chosen λ. */
    public SweepPoint chosen() {
        return at(sweep, lambda);
    }

    /** The sweep point of the kNN-LM's chosen λ. */
    public SweepPoint knnChosen() {
        return at(knnSweep, knnLambda);
    }

    /** The sweep point of the host + domain bigram's chosen λ. */
    public SweepPoint bigramChosen() {
        return at(bigramSweep, bigramLambda);
    }

    /** The sweep point of the MLP memory's chosen λ. */
    public SweepPoint mlpChosen() {
        return at(mlpSweep, mlpLambda);
    }

    private static SweepPoint at(List<SweepPoint> points, double lambda) {
        return points.stream().filter(p -> p.lambda() == lambda).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("lambda " + lambda + " is not in the sweep"));
    }

    /** The table as aligned text, rows in order, with the ratio to the host in brackets, and the λ rule below. */
    public String formatTable() {
        Row host = table.get(0);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-36s %24s %24s%n", "perplexity (held-out test)", "domain", "general"));
        for (Row r : table) {
            String name = r.lambda() == null ? r.model()
                    : String.format(Locale.ROOT, "%s (lambda %.2f)", r.model(), r.lambda());
            sb.append(String.format(Locale.ROOT, "%-36s %15.2f (x%5.3f) %15.2f (x%5.3f)%n", name, r.domainPpl(),
                    r.domainPpl() / host.domainPpl(), r.generalPpl(), r.generalPpl() / host.generalPpl()));
        }
        baselines.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> sb.append(String.format(
                Locale.ROOT, "  %s: %s, from each corpus's training split%n", e.getKey(), e.getValue())));
        sb.append(lambdaRule).append(System.lineSeparator());
        sb.append(String.format(Locale.ROOT, "  validation ppl (domain / general): host %.2f / %.2f; memory %.2f / %.2f (x%.3f);"
                        + " MLP memory %.2f / %.2f (x%.3f); kNN-LM %.2f / %.2f (x%.3f); domain bigram %.2f / %.2f (x%.3f)%n",
                hostValid.domainPpl(),
                hostValid.generalPpl(), chosen().domainValid(), chosen().generalValid(),
                chosen().generalValid() / hostValid.generalPpl(), mlpChosen().domainValid(), mlpChosen().generalValid(),
                mlpChosen().generalValid() / hostValid.generalPpl(), knnChosen().domainValid(),
                knnChosen().generalValid(), knnChosen().generalValid() / hostValid.generalPpl(),
                bigramChosen().domainValid(), bigramChosen().generalValid(),
                bigramChosen().generalValid() / hostValid.generalPpl()));
        return sb.toString();
    }
}
