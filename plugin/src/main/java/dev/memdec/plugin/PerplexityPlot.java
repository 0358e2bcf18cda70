package dev.memdec.plugin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/** Draws perplexity against λ as a PNG (XChart), with the host-alone perplexity as a flat reference line. */
public final class PerplexityPlot {

    private PerplexityPlot() {
    }

    /** Writes the plot to {@code out} (a temp file in the same directory, then an atomic rename). */
    public static void write(PerplexityReport report, String title, Path out) throws IOException {
        if (report.joint().isEmpty()) {
            throw new IllegalArgumentException("--plot needs a memory and at least one lambda");
        }
        System.setProperty("java.awt.headless", "true");
        List<PerplexityReport.Joint> points = report.joint().stream()
                .sorted(java.util.Comparator.comparingDouble(PerplexityReport.Joint::lambda)).toList();
        double[] x = points.stream().mapToDouble(PerplexityReport.Joint::lambda).toArray();
        double[] y = points.stream().mapToDouble(PerplexityReport.Joint::ppl).toArray();
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("lambda")
                .yAxisTitle("perplexity").build();
        chart.addSeries("host + memory", x, y).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        double host = report.hostPpl();
        chart.addSeries("host alone", new double[] {x[0], x[x.length - 1]}, new double[] {host, host})
                .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        Path target = out.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
