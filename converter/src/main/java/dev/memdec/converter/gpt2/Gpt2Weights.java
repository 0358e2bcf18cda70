package dev.memdec.converter.gpt2;

import dev.memdec.converter.gguf.FloatSource;

/**
 * The parameters of a GPT-2 model, addressed by GGUF tensor name ({@link Gpt2Tensors}) and produced in
 * GGUF element order, i.e. PyTorch {@code nn.Linear} [out, in] row-major orientation ({@code ne[0]} = in).
 */
public interface Gpt2Weights {

    /**
     * The elements of tensor {@code ggufName}; {@code output.weight} is always available (for a tied
     * model it is the token embedding).
     *
     * @throws IllegalArgumentException for a name that is not a gpt2 tensor of this model
     */
    FloatSource tensor(String ggufName);

    /** Reads a whole tensor of {@code count} elements into a new array. */
    default float[] load(String ggufName, long count) {
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor '" + ggufName + "' has " + count
                    + " elements, too many for one Java array");
        }
        float[] values = new float[(int) count];
        tensor(ggufName).read(0, values, values.length);
        return values;
    }
}
