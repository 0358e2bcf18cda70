package dev.memdec.trainer.cli;

import com.google.gson.GsonBuilder;
import dev.memdec.trainer.train.TrainingRun;
import dev.memdec.trainer.train.TrainingState;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The summary a training command prints, and the one-line training summary kept in exported metadata. */
final class RunReport {

    private RunReport() {
    }

    static Map<String, Object> summary(TrainingRun.Result r) {
        TrainingState s = r.state();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("steps", r.steps());
        m.put("stopped", r.stopped());
        m.put("checkpoint", String.valueOf(r.checkpoint()));
        m.put("shape", s.describeShape());
        if (s.shape() != null) {
            m.put("ctx", s.shape().ctx());
        }
        m.put("vocab", s.mlp() != null ? s.mlp().vocab() : s.shape().vocab());
        m.put("beta", s.options().beta());
        m.put("lr", s.options().lr());
        m.put("epochs", s.options().epochs());
        m.put("batch", s.options().batch());
        m.put("data", s.data());
        List<TrainingState.StepLoss> steps = s.steps();
        if (!steps.isEmpty()) {
            TrainingState.StepLoss last = steps.get(steps.size() - 1);
            m.put("first_loss", steps.get(0).loss());
            m.put("last_loss", last.loss());
            double seconds = steps.stream().mapToDouble(TrainingState.StepLoss::seconds).sum();
            long tokens = steps.stream().mapToLong(TrainingState.StepLoss::tokens).sum();
            m.put("tokens_per_second", Math.round(tokens / Math.max(seconds, 1e-9)));
        }
        if (!s.epochs().isEmpty()) {
            TrainingState.EpochResult e = s.epochs().get(s.epochs().size() - 1);
            m.put("valid_ppl_memory", finite(e.memoryPerplexity()));
            m.put("valid_ppl_joint", finite(e.jointPerplexity()));
        }
        return m;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Exit status of a training command: 0, or 130 when a stop request ended the run early. */
    static int exitCode(TrainingRun.Result r) {
        return r.stopped() ? 130 : 0;
    }

    static void print(TrainingRun.Result r, boolean json, PrintWriter out) {
        Map<String, Object> m = summary(r);
        if (json) {
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(m));
            return;
        }
        if (r.stopped()) {
            out.printf(Locale.ROOT, "stopped on request after step %d; run the same command again to resume from the checkpoint%n",
                    r.steps());
        }
        out.printf(Locale.ROOT, "trained %s for %d steps: loss %s -> %s, %s tokens/s; validation perplexity %s (model)%s%n",
                m.get("shape"), r.steps(), m.get("first_loss"), m.get("last_loss"), m.get("tokens_per_second"),
                m.get("valid_ppl_memory"), m.get("valid_ppl_joint") == null ? "" : ", " + m.get("valid_ppl_joint") + " (joint)");
        out.println("checkpoint: " + r.checkpoint());
    }
}
