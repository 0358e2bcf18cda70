package dev.memdec.trainer.demo;

import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;

/**
 * How the demo picks λ for a mixed model (memory or kNN-LM), from validation text only: the λ with the lowest
 * domain-validation perplexity among those whose general-validation perplexity stays within
 * {@code maxGeneralRatio} × the host's. λ = 0 is the host itself, so some λ always qualifies; tuning on domain
 * text alone picks the λ that helps the domain most however much general text it costs.
 *
 * @param maxGeneralRatio the largest allowed general-validation perplexity, as a multiple of the host's (≥ 1)
 */
public record LambdaRule(double maxGeneralRatio) {

    /** Issue 7's bound: general text no worse than 1.1 × the host. */
    public static final LambdaRule DEFAULT = new LambdaRule(1.1);

    public LambdaRule {
        if (!(maxGeneralRatio >= 1) || Double.isInfinite(maxGeneralRatio)) {
            throw new IllegalArgumentException("lambda rule: the general-validation bound must be a finite ratio >= 1, got "
                    + maxGeneralRatio);
        }
    }

    /**
     * The chosen λ of {@code lambdas} (which must contain 0).
     *
     * @param domainValid  perplexity on the domain validation text at a λ
     * @param generalValid perplexity on the general validation text at a λ
     * @param hostGeneralValid the host's own perplexity on the general validation text
     */
    public double choose(List<Double> lambdas, DoubleUnaryOperator domainValid, DoubleUnaryOperator generalValid,
                         double hostGeneralValid) {
        if (!lambdas.contains(0.0)) {
            throw new IllegalArgumentException("lambda rule: the grid must contain 0 (the host alone), got " + lambdas);
        }
        double best = 0;
        double bestPpl = domainValid.applyAsDouble(0);
        for (double l : lambdas) {
            if (admits(generalValid.applyAsDouble(l), hostGeneralValid)) {
                double ppl = domainValid.applyAsDouble(l);
                if (ppl < bestPpl) {
                    best = l;
                    bestPpl = ppl;
                }
            }
        }
        return best;
    }

    /** Whether a general-validation perplexity is within the bound of the host's. */
    public boolean admits(double generalValidPpl, double hostGeneralValidPpl) {
        return generalValidPpl <= maxGeneralRatio * hostGeneralValidPpl;
    }

    /** The rule in one line, for the table footer and report.json. */
    public String describe() {
        return String.format(Locale.ROOT, "lambda = argmin domain-validation ppl subject to general-validation ppl <= %.2f x host's "
                + "(validation text only; test text never seen)", maxGeneralRatio);
    }
}
