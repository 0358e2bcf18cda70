package dev.memdec.trainer.demo;

import dev.memdec.converter.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The λ sweep as a PNG: perplexity of host + memory relative to the host alone on the two validation texts
 * (what λ is chosen on) and the two test texts, host + kNN-LM on the two test texts, the rule's general-validation
 * bound and the unmixed baselines (n-grams, DAPT) as horizontal lines; below 1 a model beats the host. The
 * perplexity axis is logarithmic, so ratios of 0.3 and 3 are as far from the host.
 */
final class LambdaSweepPlot {

    private LambdaSweepPlot() {
    }

    /**
     * @param hostValid the host alone on the validation texts
     * @param hostTest  the host alone on the test texts
     * @param knnSweep  host + kNN-LM over the same λ grid
     * @param baselines models that are not mixed (n-grams, DAPT), drawn as horizontal lines on the test texts
     */
    static void write(Path png, List<DemoReport.SweepPoint> sweep, List<DemoReport.SweepPoint> knnSweep,
                      DemoReport.Row hostValid, DemoReport.Row hostTest, List<DemoReport.Row> baselines, LambdaRule rule,
                      double chosen) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] x = sweep.stream().mapToDouble(DemoReport.SweepPoint::lambda).toArray();
        XYChart chart = new XYChartBuilder().width(800).height(500)
                .title(String.format(Locale.ROOT, "host + memory vs host alone (chosen lambda %.2f)", chosen))
                .xAxisTitle("lambda").yAxisTitle("perplexity / host perplexity (log scale)").build();
        chart.getStyler().setYAxisLogarithmic(true);
        series(chart, "host + memory, domain validation", x, sweep, p -> p.domainValid() / hostValid.domainPpl());
        series(chart, "host + memory, general validation", x, sweep, p -> p.generalValid() / hostValid.generalPpl());
        series(chart, "host + memory, domain test", x, sweep, p -> p.domainTest() / hostTest.domainPpl());
        series(chart, "host + memory, general test", x, sweep, p -> p.generalTest() / hostTest.generalPpl());
        series(chart, "host + kNN-LM, domain test", x, knnSweep, p -> p.domainTest() / hostTest.domainPpl());
        series(chart, "host + kNN-LM, general test", x, knnSweep, p -> p.generalTest() / hostTest.generalPpl());
        double bound = rule.maxGeneralRatio();
        level(chart, String.format(Locale.ROOT, "general bound (%.2f x host)", bound), x, bound);
        for (DemoReport.Row b : baselines) {
            level(chart, b.model() + ", domain test", x, b.domainPpl() / hostTest.domainPpl());
            level(chart, b.model() + ", general test", x, b.generalPpl() / hostTest.generalPpl());
        }
        AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    private static void level(XYChart chart, String name, double[] x, double y) {
        chart.addSeries(name, new double[] {x[0], x[x.length - 1]}, new double[] {y, y})
                .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line).setMarker(SeriesMarkers.NONE);
    }

    private static void series(XYChart chart, String name, double[] x, List<DemoReport.SweepPoint> sweep,
                               ToDoubleFunction<DemoReport.SweepPoint> ratio) {
        chart.addSeries(name, x, sweep.stream().mapToDouble(ratio).toArray())
                .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    }
}
