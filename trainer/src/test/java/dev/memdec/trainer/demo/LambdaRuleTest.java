package dev.memdec.trainer.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LambdaRuleTest {

    private static final List<Double> GRID = List.of(0.0, 0.3, 0.6, 0.9);
    /** Domain perplexity falls with λ; general perplexity rises past 0.3 (the full demo's shape). */
    private static final Map<Double, Double> DOMAIN = Map.of(0.0, 2000.0, 0.3, 600.0, 0.6, 450.0, 0.9, 420.0);
    private static final Map<Double, Double> GENERAL = Map.of(0.0, 1700.0, 0.3, 1780.0, 0.6, 2180.0, 0.9, 3700.0);

    @Test
    void picksTheBestDomainLambdaWithinTheGeneralBound() {
        assertEquals(0.3, LambdaRule.DEFAULT.choose(GRID, DOMAIN::get, GENERAL::get, 1700.0));
    }

    @Test
    void aLooserBoundAdmitsLargerLambdas() {
        assertEquals(0.6, new LambdaRule(1.3).choose(GRID, DOMAIN::get, GENERAL::get, 1700.0));
        assertEquals(0.9, new LambdaRule(3).choose(GRID, DOMAIN::get, GENERAL::get, 1700.0));
    }

    @Test
    void fallsBackToTheHostWhenEveryMixCostsTooMuchGeneralText() {
        Map<Double, Double> general = Map.of(0.0, 1700.0, 0.3, 1900.0, 0.6, 2500.0, 0.9, 4000.0);
        assertEquals(0.0, LambdaRule.DEFAULT.choose(GRID, DOMAIN::get, general::get, 1700.0));
    }

    @Test
    void neverPicksALambdaThatIsWorseOnTheDomain() {
        Map<Double, Double> domain = Map.of(0.0, 100.0, 0.3, 120.0, 0.6, 150.0, 0.9, 200.0);
        assertEquals(0.0, new LambdaRule(10).choose(GRID, domain::get, GENERAL::get, 1700.0));
    }

    @Test
    void rejectsBadBoundsAndGridsWithoutTheHost() {
        assertThrows(IllegalArgumentException.class, () -> new LambdaRule(0.9));
        assertThrows(IllegalArgumentException.class, () -> new LambdaRule(Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LambdaRule.DEFAULT.choose(List.of(0.3, 0.6), DOMAIN::get, GENERAL::get, 1700.0));
        assertTrue(e.getMessage().contains("must contain 0"), e.getMessage());
        assertTrue(LambdaRule.DEFAULT.describe().contains("1.10"), LambdaRule.DEFAULT.describe());
    }
}
