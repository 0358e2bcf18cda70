package dev.memdec.trainer.demo;

import dev.memdec.trainer.datastore.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * The λ sweep as a PNG: perplexity of host + memory relative to the host alone, for the domain validation
 * text (what λ is tuned on), the domain test text and the general test text; below 1 the memory helps.
 */
final class LambdaSweepPlot {

    private LambdaSweepPlot() {
    }

    static void write(Path png, List<DemoReport.SweepPoint> sweep, DemoReport.SweepPoint host, double chosen)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        double[] x = sweep.stream().mapToDouble(DemoReport.SweepPoint::lambda).toArray();
        XYChart chart = new XYChartBuilder().width(800).height(500)
                .title(String.format(java.util.Locale.ROOT, "host + memory vs host alone (chosen lambda %.2f)", chosen))
                .xAxisTitle("lambda").yAxisTitle("perplexity / host perplexity").build();
        series(chart, "domain validation", x, sweep.stream().mapToDouble(p -> p.domainValid() / host.domainValid()).toArray());
        series(chart, "domain test", x, sweep.stream().mapToDouble(p -> p.domainTest() / host.domainTest()).toArray());
        series(chart, "general test", x, sweep.stream().mapToDouble(p -> p.generalTest() / host.generalTest()).toArray());
        AtomicFiles.write(png, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    private static void series(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    }
}
