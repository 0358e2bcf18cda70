package dev.memdec.trainer.train;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Writes the loss curves (total, KL, CE per step) and the validation perplexity per epoch as one PNG. */
public final class LossPlot {

    private LossPlot() {
    }

    public static void write(Path png, TrainingState state) throws IOException {
        List<TrainingState.StepLoss> steps = state.steps();
        if (steps.isEmpty()) {
            return;
        }
        XYChart loss = new XYChartBuilder().width(900).height(420).title("training loss").xAxisTitle("step")
                .yAxisTitle("nats/token").build();
        addSeries(loss, "loss", steps, s -> s.loss());
        if (state.options().beta() > 0) {
            addSeries(loss, "KL(p_kNN||p_mem)", steps, s -> s.kl());
            addSeries(loss, "CE", steps, s -> s.ce());
        }
        XYChart ppl = new XYChartBuilder().width(900).height(300).title("validation perplexity").xAxisTitle("epoch")
                .yAxisTitle("perplexity").build();
        List<TrainingState.EpochResult> epochs = state.epochs();
        if (!epochs.isEmpty()) {
            double[] x = epochs.stream().mapToDouble(TrainingState.EpochResult::epoch).toArray();
            ppl.addSeries("memory", x, epochs.stream().mapToDouble(TrainingState.EpochResult::memoryPerplexity).toArray())
                    .setMarker(SeriesMarkers.CIRCLE);
            if (epochs.stream().allMatch(e -> Double.isFinite(e.jointPerplexity()))) {
                ppl.addSeries("joint with host", x,
                        epochs.stream().mapToDouble(TrainingState.EpochResult::jointPerplexity).toArray())
                        .setMarker(SeriesMarkers.CIRCLE);
            }
        }
        Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), ".tmp-", ".png");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            BitmapEncoder.saveBitmap(epochs.isEmpty() ? List.of(loss) : List.of(loss, ppl), epochs.isEmpty() ? 1 : 2, 1,
                    out, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void addSeries(XYChart chart, String name, List<TrainingState.StepLoss> steps,
                                  java.util.function.ToDoubleFunction<TrainingState.StepLoss> value) {
        double[] x = steps.stream().mapToDouble(TrainingState.StepLoss::step).toArray();
        double[] y = steps.stream().mapToDouble(value).toArray();
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
    }
}
