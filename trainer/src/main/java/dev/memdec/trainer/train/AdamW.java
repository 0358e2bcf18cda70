package dev.memdec.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PyTorch's AdamW update with a linear decay of the learning rate to 0 over {@code totalSteps} (no warmup unless asked)
 * and gradient-norm clipping, the reference's optimisation (§6.4). Written out rather than DJL's optimizer so
 * that its moments can be checkpointed and a resumed run continues bit for bit.
 *
 * <p>Runs outside any gradient collector (PyTorch grad mode off), where in-place updates of the leaf
 * parameters are allowed and Java scalar operands are harmless.
 */
public final class AdamW implements AutoCloseable {

    /** Hyper-parameters; the defaults of the reference are β1 0.9, β2 0.999, ε 1e-8, weight decay 0. */
    public record Settings(float lr, float beta1, float beta2, float eps, float weightDecay, float clip, long totalSteps,
                           long warmupSteps) {
        public Settings {
            if (!(lr > 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)
                    || !(weightDecay >= 0) || !(clip > 0) || totalSteps < 1 || warmupSteps < 0 || warmupSteps >= totalSteps) {
                throw new IllegalArgumentException("AdamW: need lr > 0, betas in [0,1), eps > 0, weight decay >= 0, "
                        + "clip > 0, totalSteps >= 1 and 0 <= warmupSteps < totalSteps, got " + this);
            }
        }

        /** The reference's schedule: no warmup. */
        public static Settings reference(float lr, float clip, long totalSteps) {
            return reference(lr, clip, totalSteps, 0);
        }

        /** The reference's optimiser with {@code warmupSteps} of linear warmup before the linear decay. */
        public static Settings reference(float lr, float clip, long totalSteps, long warmupSteps) {
            return new Settings(lr, 0.9f, 0.999f, 1e-8f, 0f, clip, totalSteps, warmupSteps);
        }

        /**
         * Learning rate of the update with 0-based index {@code step}: lr·(step + 1)/warmup during the warmup, then
         * lr·(total − step)/(total − warmup), which is the reference's lr·(total − step)/total without warmup.
         */
        public double learningRate(long step) {
            if (step < warmupSteps) {
                return lr * (double) (step + 1) / warmupSteps;
            }
            return lr * Math.max(0.0, (double) (totalSteps - step) / (totalSteps - warmupSteps));
        }
    }

    private final Settings settings;
    private final Map<String, NDArray> parameters;
    private final NDManager manager;
    private final Map<String, NDArray> first = new LinkedHashMap<>();
    private final Map<String, NDArray> second = new LinkedHashMap<>();

    public AdamW(NDManager parent, Map<String, NDArray> parameters, Settings settings) {
        this.settings = settings;
        this.parameters = parameters;
        this.manager = parent.newSubManager();
        for (Map.Entry<String, NDArray> p : parameters.entrySet()) {
            first.put(p.getKey(), manager.zeros(p.getValue().getShape()));
            second.put(p.getKey(), manager.zeros(p.getValue().getShape()));
        }
    }

    public Settings settings() {
        return settings;
    }

    /** L2 norm of all gradients together (before clipping), as {@code torch.nn.utils.clip_grad_norm_} computes it. */
    public double gradientNorm() {
        double sumSquares = 0;
        try (NDManager scratch = manager.newSubManager()) {
            for (NDArray p : parameters.values()) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                double n = g.norm().getFloat();
                sumSquares += n * n;
            }
        }
        return Math.sqrt(sumSquares);
    }

    /**
     * Applies update number {@code step} (0-based) from the current gradients, clipped to the configured
     * norm given their total norm {@code gradNorm}, then zeroes the gradients.
     */
    public void update(long step, double gradNorm) {
        double clipCoef = settings.clip() / (gradNorm + 1e-6);
        double lr = settings.learningRate(step);
        long t = step + 1;
        double biasCorrection1 = 1 - Math.pow(settings.beta1(), t);
        double biasCorrection2Sqrt = Math.sqrt(1 - Math.pow(settings.beta2(), t));
        float stepSize = (float) (lr / biasCorrection1);
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray p = e.getValue();
                NDArray g = p.getGradient();
                g.attach(scratch);
                NDArray grad = clipCoef < 1 ? g.mul((float) clipCoef) : g;
                NDArray m = first.get(e.getKey());
                NDArray v = second.get(e.getKey());
                m.muli(settings.beta1()).addi(grad.mul(1 - settings.beta1()));
                v.muli(settings.beta2()).addi(grad.mul(grad).muli(1 - settings.beta2()));
                if (settings.weightDecay() > 0) {
                    p.muli((float) (1 - lr * settings.weightDecay()));
                }
                // v.sqrt() and m.div() would otherwise land in the moments' long-lived manager: a leak of two
                // parameter-sized arrays per step (GPT-2 small ran out of 24 GB in ~25 steps).
                NDArray denom = scratch(v.sqrt(), scratch).divi((float) biasCorrection2Sqrt).addi(settings.eps());
                p.subi(scratch(m.div(denom), scratch).muli(stepSize));
                g.subi(g);
            }
        }
    }

    /** Moves {@code a}, the result of an operation on a moment or parameter, into the step's {@code scratch}. */
    private static NDArray scratch(NDArray a, NDManager scratch) {
        a.attach(scratch);
        return a;
    }

    /** Zeroes the gradients without updating (after a rejected step). */
    public void zeroGradients() {
        try (NDManager scratch = manager.newSubManager()) {
            for (NDArray p : parameters.values()) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                g.subi(g);
            }
        }
    }

    /** The moments, named {@code m.<tensor>} and {@code v.<tensor>}, for a checkpoint. */
    public NDList state() {
        NDList list = new NDList();
        for (String name : parameters.keySet()) {
            first.get(name).setName("m." + name);
            second.get(name).setName("v." + name);
            list.add(first.get(name));
            list.add(second.get(name));
        }
        return list;
    }

    /**
     * Restores the moments saved by {@link #state()}.
     *
     * @throws IllegalArgumentException naming {@code source} when a moment is missing or has another shape
     */
    public void load(NDList saved, String source) {
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (NDArray a : saved) {
            byName.put(a.getName(), a);
        }
        for (String name : parameters.keySet()) {
            copyInto(byName, "m." + name, first.get(name), source);
            copyInto(byName, "v." + name, second.get(name), source);
        }
    }

    private static void copyInto(Map<String, NDArray> saved, String name, NDArray target, String source) {
        NDArray a = saved.get(name);
        if (a == null || !a.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException(source + ": optimizer state " + name + " is missing or not of shape "
                    + target.getShape());
        }
        a.copyTo(target);
    }

    @Override
    public void close() {
        manager.close();
    }
}
